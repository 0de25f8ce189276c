#!/usr/bin/env python3
"""Scale benchmark of modelrollout-controller (GitHub issue 8). Driven by bench/run.sh.

Runs the real controller, mr-test-apiserver, mr-simulator (and Prometheus for the analysis
phase) as separate processes, creates ModelRollouts through the API, watches them itself and
reads the controller's /metrics and /proc. Phases:
  idle      N Healthy rollouts per level: start->/readyz, RSS, CPU s/min and writes/min at rest,
            spec change -> first status write at rest
  churn     C rollouts changed at once (short holds, no analysis): latency to first status
            write, transitions/s, writes and reconciles per transition
  reaction  during churn, abort annotation -> HTTPRoute canary weight 0 (stable 100%)
  analysis  A rollouts judged every 10 s by the real Prometheus (behind a slow proxy): queries/s,
            query latency, spec change of an unrelated rollout -> first status write with
            Prometheus answering in 0 s and in 2 s
  failcheck churn of C rollouts of which F have a canary failing its check against the real
            Prometheus: last Prometheus answer of the failing check -> HTTPRoute canary weight 0
            (mrbench_failcheck.py)
Prints a table and writes JSON under --out. Exit 1 when the harness breaks (a process dies, a
phase times out); missed targets do not fail the run.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mrbench_lib as lib  # noqa: E402
from mrbench_cluster import (STEPS_CHURN, Cluster, HarnessError, Tracker, Window,  # noqa: E402
                             at_rest_latency, change_versions, create_rollouts, healthy,
                             lat_summary, log, settle, wait_for)
from mrbench_failcheck import run_failcheck  # noqa: E402
from mrbench_report import print_table  # noqa: E402


def run_idle_churn(args, run_dir, result):
    c = Cluster(args, run_dir, "cluster-a")
    try:
        c.start_apiserver()
        for ns in ("bench-system", "bench-idle", "bench-churn", "bench-probe"):
            c.create_namespace(ns)
        c.start_simulator(rate=1, tick="1s")
        tr = Tracker(c)
        t_ready = c.start_controller()
        time.sleep(2)
        settle(c, 60)
        w = Window(c)
        time.sleep(args.rest_seconds)
        none = w.end()
        none["ready_s"] = round(t_ready, 3)
        result["idle"] = [dict(none, n=0)]
        log(f"idle n=0: rss {none['controller_rss_mib']} MiB, ready {t_ready:.2f}s")

        have = 0
        mk = lambda name: lib.mr_obj(name, "bench-idle", "v1", STEPS_CHURN)  # noqa: E731
        for n in args.levels:
            t0 = time.monotonic()
            create_rollouts(c, "bench-idle", [f"idle-{i}" for i in range(have, n)], mk)
            have = n
            log(f"created {n} rollouts in bench-idle in {time.monotonic() - t0:.1f}s; "
                "waiting for Healthy")
            wait_for(lambda: tr.count("bench-idle", healthy) >= n, args.settle_timeout,
                     f"{n} Healthy rollouts", poll=1, check=tr.check)
            t_healthy = time.monotonic() - t0
            settle(c, args.settle_timeout)
            c.stop("controller")
            t_ready = c.start_controller()
            t1 = time.monotonic()
            settle(c, args.settle_timeout)
            first_pass = time.monotonic() - t1
            w = Window(c)
            time.sleep(args.rest_seconds)
            r = w.end()
            r.update(n=n, ready_s=round(t_ready, 3), first_pass_after_ready_s=round(first_pass, 1),
                     create_to_all_healthy_s=round(t_healthy, 1))
            probes = [f"idle-{i}" for i in range(0, n, max(1, n // args.rest_probes))]
            r["rest_change_to_status"] = at_rest_latency(c, tr, "bench-idle",
                                                         probes[:args.rest_probes], f"p{n}")
            result["idle"].append(r)
            log(f"idle n={n}: rss {r['controller_rss_mib']} MiB, ready {t_ready:.2f}s, "
                f"cpu {r['controller_cpu_s_per_min']} s/min, writes {r['controller_writes']}")
            wait_for(lambda: tr.count("bench-idle", healthy) >= n, args.settle_timeout,
                     "probe rollouts Healthy again", poll=1, check=tr.check)
            if n == args.levels[0]:
                result["churn"] = run_churn(args, c, tr)
        tr.stop()
    finally:
        c.shutdown()


def run_churn(args, c, tr):
    n = args.churn
    ns = "bench-churn"
    names = [f"churn-{i}" for i in range(n)]
    create_rollouts(c, ns, names, lambda name: lib.mr_obj(name, ns, "v1", STEPS_CHURN))
    wait_for(lambda: tr.count(ns, healthy) >= n, args.settle_timeout, "churn rollouts Healthy",
             poll=1, check=tr.check)
    settle(c, args.settle_timeout)
    with tr.lock:
        old_stable = {k: st["stable"] for k, st in tr.state.items() if k[0] == ns}
        tr.latencies, tr.transitions = [], 0
        tr.spec_seen_latencies, tr.spec_event_lags = [], []
        tr.count_transitions.add(ns)
    abort_set = set(names[:: max(1, n // args.aborts)][: args.aborts])
    aborted = set()
    pool = ThreadPoolExecutor(2)

    def abort(key):
        t = time.monotonic()
        with tr.lock:
            tr.route_waits[key] = t
        c.api.merge_patch(f"{lib.MR_PATH}/namespaces/{ns}/modelrollouts/{key[1]}",
                          {"metadata": {"annotations": {"modelrollout.io/abort": "true"}}})

    def on_mr(key, st, t):
        if (key[0] == ns and key[1] in abort_set and key not in aborted
                and st["phase"] == "Progressing" and (st["weight"] or 0) > 0):
            aborted.add(key)
            pool.submit(abort, key)
    tr.on_mr.append(on_mr)
    depth_max = 0
    w = Window(c)
    log(f"churn: changing {n} rollouts ({len(abort_set)} will be aborted)")
    t0 = time.monotonic()
    change_versions(c, tr, ns, names, "v2")
    t_patched = time.monotonic() - t0

    def done():
        with tr.lock:
            ok = 0
            for name in names:
                st = tr.state.get((ns, name))
                if name in abort_set:
                    ok += st["phase"] == "RolledBack"
                else:
                    ok += healthy(st) and st["stable"] != old_stable[(ns, name)]
            return ok == n

    while not done():
        tr.check()
        if time.monotonic() - t0 > args.settle_timeout:
            raise HarnessError("churn did not finish")
        depth_max = max(depth_max, lib.msum(c.metrics(), "modelrollout_workqueue_depth"))
        time.sleep(0.5)
    dt = time.monotonic() - t0
    tr.on_mr.remove(on_mr)
    pool.shutdown()
    r = w.end()
    with tr.lock:
        trans = tr.transitions
        tr.count_transitions.discard(ns)
        r["change_to_status"] = lat_summary(tr.latencies)
        r["spec_event_to_status"] = lat_summary(tr.spec_seen_latencies)
        r["change_to_spec_event"] = lat_summary(tr.spec_event_lags)
        r["abort_to_route_stable"] = lat_summary(tr.route_latencies)
        r["aborts_unmeasured"] = len(tr.route_waits)
    r.update(n=n, seconds_to_done=round(dt, 1), patch_seconds=round(t_patched, 2),
             transitions=trans, transitions_per_s=round(trans / dt, 1),
             writes_per_transition=round(r["controller_writes"] / max(1, trans), 2),
             reconciles_per_transition=round(r["reconciles"] / max(1, trans), 2),
             workqueue_depth_max=depth_max,
             reconcile_p99_s=lib.hist_quantile(r["_metrics_before"], r["_metrics_after"],
                                               "modelrollout_reconcile_duration_seconds", 0.99))
    log(f"churn: {trans} transitions in {dt:.1f}s, status p99 {r['change_to_status']['p99_ms']} "
        f"ms, abort->route p99 {r['abort_to_route_stable']['p99_ms']} ms")
    return r


def run_analysis(args, run_dir, result):
    c = Cluster(args, run_dir, "cluster-b")
    proxy = None
    try:
        c.start_apiserver()
        for ns in ("bench-system", "bench-ana", "bench-probe"):
            c.create_namespace(ns)
        c.start_simulator(rate=args.sim_rate)
        c.start_prometheus()
        proxy = lib.SlowProxy(c.prom_port)
        c.allowed_prometheus = [f"http://127.0.0.1:{proxy.port}"]
        tr = Tracker(c)
        c.start_controller()
        n = args.analysis
        ana = {"prometheus": {"address": f"http://127.0.0.1:{proxy.port}", "timeout": "10s"},
               "interval": "10s", "window": "30s", "minSampleSize": 10,
               "metrics": {"errorRate": {"max": 0.5}, "latencyP99": {"maxMs": 1000}}}
        steps = [{"weight": 50, "hold": "1h"}, {"weight": 100}]
        names = [f"ana-{i}" for i in range(n)]
        create_rollouts(c, "bench-ana", names, lambda nm: lib.mr_obj(nm, "bench-ana", "v1", steps,
                                                                     analysis=ana))
        probes = [f"probe-{i}" for i in range(args.rest_probes)]
        create_rollouts(c, "bench-probe", probes,
                        lambda nm: lib.mr_obj(nm, "bench-probe", "v1", STEPS_CHURN))
        wait_for(lambda: tr.count("bench-ana", healthy) >= n
                 and tr.count("bench-probe", healthy) >= len(probes), args.settle_timeout,
                 "analysis rollouts Healthy", poll=1, check=tr.check)
        change_versions(c, tr, "bench-ana", names, "v2")
        wait_for(lambda: tr.count("bench-ana", lambda s: s["phase"] == "Progressing"
                                  and (s["weight"] or 0) > 0) >= n,
                 args.settle_timeout, "analysis rollouts at step 0", poll=1, check=tr.check)
        time.sleep(12)  # one analysis interval so every rollout has checks in flight
        r = {"n": n}
        for delay in (0.0, args.slow_seconds):
            proxy.delay = delay
            time.sleep(2)
            q0 = proxy.requests
            w = Window(c)
            time.sleep(args.analysis_seconds)
            probe = at_rest_latency(c, tr, "bench-probe", probes, f"d{delay}")
            ww = w.end()
            ww["cpu_prometheus_pid"] = c.prom_pid
            before, after = ww["_metrics_before"], ww["_metrics_after"]
            qn = (lib.msum(after, "modelrollout_analysis_query_duration_seconds_count")
                  - lib.msum(before, "modelrollout_analysis_query_duration_seconds_count"))
            ww.update(prometheus_delay_s=delay, queries=qn,
                      queries_per_s=round(qn / ww["seconds"], 1),
                      proxy_requests_per_s=round((proxy.requests - q0) / ww["seconds"], 1),
                      query_p50_s=lib.hist_quantile(
                          before, after, "modelrollout_analysis_query_duration_seconds", 0.5),
                      query_p99_s=lib.hist_quantile(
                          before, after, "modelrollout_analysis_query_duration_seconds", 0.99),
                      unrelated_change_to_status=probe,
                      verdicts={dict(l).get("verdict", "?") + "/" + dict(l).get("metric", ""):
                                v - before.get((nn, l), 0) for (nn, l), v in after.items()
                                if nn.startswith("modelrollout_analysis_verdicts")})
            r[f"delay_{delay:g}s"] = ww
            log(f"analysis delay {delay}s: {ww['queries_per_s']} queries/s, unrelated change "
                f"p99 {probe['p99_ms']} ms")
            with tr.lock:
                tr.pending.clear()
        proxy.delay = 0
        result["analysis"] = r
        tr.stop()
    finally:
        if proxy:
            proxy.close()
        c.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--levels", default="1000,10000")
    ap.add_argument("--churn", type=int, default=1000)
    ap.add_argument("--aborts", type=int, default=100)
    ap.add_argument("--analysis", type=int, default=500)
    ap.add_argument("--analysis-seconds", type=float, default=60)
    ap.add_argument("--slow-seconds", type=float, default=2.0)
    ap.add_argument("--sim-rate", type=int, default=20)
    ap.add_argument("--rest-seconds", type=float, default=60)
    ap.add_argument("--rest-probes", type=int, default=20)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--settle-timeout", type=float, default=900)
    ap.add_argument("--fail-churn", type=int, default=1000)
    ap.add_argument("--fail-checks", type=int, default=100)
    ap.add_argument("--fail-interval", type=float, default=2.0)
    ap.add_argument("--fail-sim-rate", type=int, default=10)
    ap.add_argument("--phases", default="analysis,failcheck,idle")
    ap.add_argument("--label", default="full")
    args = ap.parse_args()
    args.levels = [int(x) for x in args.levels.split(",") if x]
    args.bin = lambda rel: os.path.join(args.bin_dir, rel)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    run_dir = os.path.join(args.out, f"run-{stamp}")
    os.makedirs(run_dir, exist_ok=True)
    result = {"label": args.label, "started": stamp, "machine": machine(),
              "args": {k: v for k, v in vars(args).items() if k != "bin"},
              "loadavg_start": os.getloadavg()}
    rc = 0
    try:
        for phase in args.phases.split(","):
            {"idle": run_idle_churn, "analysis": run_analysis,
             "failcheck": run_failcheck}[phase](args, run_dir, result)
    except (HarnessError, lib.ApiError, OSError, subprocess.CalledProcessError) as e:
        log(f"HARNESS FAILURE: {e}")
        result["error"] = str(e)
        rc = 1
    result["loadavg_end"] = os.getloadavg()
    strip(result)
    path = os.path.join(args.out, f"bench-{args.label}-{stamp}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1, default=str)
    with open(os.path.join(args.out, f"latest-{args.label}.json"), "w") as f:
        json.dump(result, f, indent=1, default=str)
    print_table(result)
    log(f"wrote {path} (logs in {run_dir})")
    return rc


def strip(o):
    if isinstance(o, dict):
        for k in [k for k in o if k.startswith("_")]:
            del o[k]
        for v in o.values():
            strip(v)
    elif isinstance(o, list):
        for v in o:
            strip(v)


def machine():
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "kernel": os.uname().release}


if __name__ == "__main__":
    sys.exit(main())
