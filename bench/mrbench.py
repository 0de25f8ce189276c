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
Prints a table and writes JSON under --out. Exit 1 when the harness breaks (a process dies, a
phase times out); missed targets do not fail the run.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mrbench_lib as lib  # noqa: E402
from mrbench_report import print_table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class HarnessError(Exception):
    pass


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_for(cond, timeout, what, poll=0.2, check=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check:
            check()
        if cond():
            return
        time.sleep(poll)
    raise HarnessError(f"timed out after {timeout}s waiting for {what}")


class Cluster:
    """The processes of one run, each in its own session, logs in `run_dir`."""

    def __init__(self, args, run_dir, name):
        self.args, self.dir, self.name = args, os.path.join(run_dir, name), name
        os.makedirs(self.dir, exist_ok=True)
        self.procs = {}
        self.prom_started = False

    def _start(self, key, cmd):
        logf = open(os.path.join(self.dir, f"{key}.log"), "ab")
        p = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        self.procs[key] = p
        return p

    def check(self):
        for key, p in self.procs.items():
            if p.poll() is not None:
                raise HarnessError(f"{key} exited with {p.returncode} (log {self.dir}/{key}.log)")

    def stop(self, key):
        p = self.procs.pop(key, None)
        if p and p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def start_apiserver(self):
        pf = os.path.join(self.dir, "apiserver.port")
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        self._start("apiserver", [self.args.bin("e2e/apiserver/mr-test-apiserver"), "--listen",
                                  "127.0.0.1:0", "--port-file", pf, "--kubeconfig-out",
                                  self.kubeconfig, "--history-size", "200000"])
        wait_for(lambda: os.path.exists(pf) and os.path.getsize(pf) > 0, 20, "apiserver port",
                 check=self.check)
        self.port = int(open(pf).read().strip())
        self.api = lib.ApiClient(self.port)
        env = dict(os.environ, KUBECONFIG=self.kubeconfig)
        for d in ("e2e/crds", "crds"):
            for f in sorted(os.listdir(os.path.join(ROOT, d))):
                if f.endswith(".yaml"):
                    subprocess.run(["kubectl", "apply", "-f", os.path.join(ROOT, d, f)], env=env,
                                   check=True, stdout=subprocess.DEVNULL)

    def create_namespace(self, ns):
        self.api.request("POST", "/api/v1/namespaces",
                         {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})

    def start_simulator(self, rate, tick="100ms"):
        pf = os.path.join(self.dir, "simulator.port")
        self._start("simulator", [self.args.bin("e2e/simulator/mr-simulator"), "--kubeconfig",
                                  self.kubeconfig, "--rate", str(rate), "--ready-delay", "200ms",
                                  "--tick", tick, "--port-file", pf, "--log-format", "text",
                                  "--log-level", "warn"])
        wait_for(lambda: os.path.exists(pf) and os.path.getsize(pf) > 0, 20, "simulator port",
                 check=self.check)
        self.sim_port = int(open(pf).read().strip())

    def start_controller(self):
        """Starts the controller; returns seconds from exec to /readyz 200."""
        self.ctl_port = free_port()
        cmd = [self.args.bin("controller/modelrollout-controller"), "--kubeconfig",
               self.kubeconfig, "--workers", str(self.args.workers), "--leader-elect",
               "--leader-election-namespace", "bench-system",
               "--metrics-bind-address", f"127.0.0.1:{self.ctl_port}",
               "--health-probe-bind-address", f"127.0.0.1:{self.ctl_port}",
               "--log-format", "text", "--log-level", "warn"]
        t0 = time.monotonic()
        self._start("controller", cmd)
        url = f"http://127.0.0.1:{self.ctl_port}/readyz"

        def ready():
            try:
                import urllib.request
                with urllib.request.urlopen(url, timeout=2) as r:
                    return r.status == 200
            except Exception:
                return False
        wait_for(ready, 300, "controller /readyz", poll=0.02, check=self.check)
        return time.monotonic() - t0

    def metrics(self):
        return lib.scrape(f"http://127.0.0.1:{self.ctl_port}/metrics")

    def start_prometheus(self):
        env = dict(os.environ, MR_LOCAL_DIR=self.dir)
        subprocess.run([os.path.join(ROOT, "e2e/prometheus/start.sh"), "--target",
                        f"127.0.0.1:{self.sim_port}", "--fresh"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        self.prom_started = True
        self.prom_port = int(open(os.path.join(self.dir, "prometheus.port")).read().strip())
        self.prom_pid = int(open(os.path.join(self.dir, "prometheus.pid")).read().strip())

    def pid(self, key):
        return self.procs[key].pid

    def shutdown(self):
        for key in ("controller", "simulator", "apiserver"):
            self.stop(key)
        if self.prom_started:
            subprocess.run([os.path.join(ROOT, "e2e/prometheus/stop.sh"), "--purge"],
                           env=dict(os.environ, MR_LOCAL_DIR=self.dir), check=False)


class Tracker:
    """Watches every ModelRollout (and HTTPRoute) and keeps what the phases measure."""

    def __init__(self, cluster):
        self.c = cluster
        self.lock = threading.Lock()
        self.state = {}  # (ns, name) -> dict(phase, gen, obs, step, weight, stable)
        self.pending = {}  # key -> (t_change, generation): waiting for the first status write
        self.latencies = []
        self.transitions = 0
        self.count_transitions = set()  # namespaces whose transitions are counted
        self.on_mr = []  # extra callbacks (key, st, t)
        self.route_waits = {}  # key -> t_abort: waiting for canary weight 0
        self.route_latencies = []
        rv = cluster.api.request("GET", lib.MR_PATH + "/modelrollouts")[1]["metadata"][
            "resourceVersion"]
        self.w_mr = lib.Watch(cluster.port, lib.MR_PATH + "/modelrollouts", rv, self._mr_event)
        self.w_route = lib.Watch(cluster.port, lib.ROUTE_PATH + "/httproutes", rv,
                                 self._route_event)
        self.w_mr.start()
        self.w_route.start()

    def check(self):
        for w in (self.w_mr, self.w_route):
            if w.error:
                raise HarnessError(f"watch failed: {w.error}")
        self.c.check()

    def _mr_event(self, typ, obj, t):
        md, status = obj["metadata"], obj.get("status") or {}
        key = (md["namespace"], md["name"])
        st = {"phase": status.get("phase"), "gen": md.get("generation", 0),
              "obs": status.get("observedGeneration", 0), "step": status.get("currentStep"),
              "weight": status.get("canaryWeight"), "stable": status.get("stableRevision")}
        with self.lock:
            if typ == "DELETED":
                self.state.pop(key, None)
                return
            old = self.state.get(key)
            self.state[key] = st
            p = self.pending.get(key)
            if p and st["obs"] >= p[1]:
                self.latencies.append(t - p[0])
                del self.pending[key]
            if (old and key[0] in self.count_transitions
                    and (old["phase"], old["step"]) != (st["phase"], st["step"])):
                self.transitions += 1
        for cb in self.on_mr:
            cb(key, st, t)

    def _route_event(self, typ, obj, t):
        md = obj["metadata"]
        key = (md["namespace"], md["name"])
        with self.lock:
            t0 = self.route_waits.get(key)
            if t0 is not None and typ != "DELETED" and not lib.canary_weight_of_route(obj):
                self.route_latencies.append(t - t0)
                del self.route_waits[key]

    def count(self, ns, pred):
        with self.lock:
            return sum(1 for (n, _), st in self.state.items() if n == ns and pred(st))

    def expect_status(self, key, t, gen):
        with self.lock:
            self.pending[key] = (t, gen)

    def stop(self):
        self.w_mr.stop()
        self.w_route.stop()


def healthy(st):
    return st["phase"] == "Healthy" and st["obs"] >= st["gen"]


def create_rollouts(c, ns, names, make, threads=4):
    def one(name):
        c.api.request("POST", f"{lib.ROUTE_PATH}/namespaces/{ns}/httproutes",
                      lib.route_obj(name, ns))
        c.api.request("POST", f"{lib.MR_PATH}/namespaces/{ns}/modelrollouts", make(name))
    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(one, names))


def change_versions(c, tr, ns, names, version, threads=4, env=None):
    """Patches the template image of every rollout; latencies go to tr.latencies."""
    def one(name):
        container = {"name": "server", "image": f"registry.example/bench:{version}"}
        if env:
            container["env"] = [{"name": k, "value": str(v)} for k, v in env.items()]
        t = time.monotonic()
        # Register before the write so a fast status event is not missed; generation is
        # known after the response, so wait for obs >= current gen + 1.
        with tr.lock:
            gen = tr.state.get((ns, name), {}).get("gen", 0) + 1
        tr.expect_status((ns, name), t, gen)
        c.api.merge_patch(f"{lib.MR_PATH}/namespaces/{ns}/modelrollouts/{name}",
                          {"spec": {"template": {"spec": {"containers": [container]}}}})
    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(one, names))


class Window:
    """CPU, memory, API writes and reconciles of the processes across a time window."""

    def __init__(self, c):
        self.c = c
        self.t = time.monotonic()
        self.load = os.getloadavg()[0]
        self.cpu = {k: lib.ProcStat(p.pid).cpu_seconds() for k, p in c.procs.items()}
        if c.prom_started:
            self.cpu["prometheus"] = lib.ProcStat(c.prom_pid).cpu_seconds()
        self.m = c.metrics()
        self.rv = int(c.api.stats()["resourceVersion"])

    def end(self):
        c = self.c
        dt = time.monotonic() - self.t
        m = c.metrics()
        out = {"seconds": round(dt, 1), "loadavg_start": self.load,
               "loadavg_end": os.getloadavg()[0]}
        for k, v in self.cpu.items():
            pid = c.prom_pid if k == "prometheus" else c.pid(k)
            out[f"{k}_cpu_s_per_min"] = round((lib.ProcStat(pid).cpu_seconds() - v) / dt * 60, 2)
        rss, hwm = lib.ProcStat(c.pid("controller")).mem_kib()
        out["controller_rss_mib"] = round(rss / 1024, 1)
        out["controller_peak_rss_mib"] = round(hwm / 1024, 1)
        out["controller_writes"] = lib.api_writes(m) - lib.api_writes(self.m)
        out["controller_writes_per_min"] = round(out["controller_writes"] / dt * 60, 1)
        out["controller_reads"] = (lib.msum(m, "modelrollout_api_requests_total")
                                   - lib.msum(self.m, "modelrollout_api_requests_total")
                                   - out["controller_writes"])
        out["reconciles"] = (lib.msum(m, "modelrollout_reconcile_total")
                             - lib.msum(self.m, "modelrollout_reconcile_total"))
        out["apiserver_writes_all_clients"] = int(c.api.stats()["resourceVersion"]) - self.rv
        out["writes_by_kind"] = {
            dict(l).get("kind", "?"): v - self.m.get((n, l), 0)
            for (n, l), v in m.items() if n == "modelrollout_api_writes_total"}
        out["writes_by_verb"] = {
            dict(l).get("verb") + "/" + dict(l).get("code"): v - self.m.get((n, l), 0)
            for (n, l), v in m.items() if n == "modelrollout_api_requests_total"
            and v - self.m.get((n, l), 0) > 0}
        out["_metrics_before"], out["_metrics_after"] = self.m, m
        return out


def settle(c, timeout):
    """Waits until the controller's reconcile counter stops moving and its queue is empty."""
    last, still = None, 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c.check()
        m = c.metrics()
        n = lib.msum(m, "modelrollout_reconcile_total")
        depth = lib.msum(m, "modelrollout_workqueue_depth")
        still = still + 1 if (n == last and depth == 0) else 0
        if still >= 3:
            return
        last = n
        time.sleep(1)
    raise HarnessError("controller did not settle")


def lat_summary(values):
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50_ms": lib.percentile(ms, 0.5) and round(lib.percentile(ms, 0.5), 1),
            "p99_ms": lib.percentile(ms, 0.99) and round(lib.percentile(ms, 0.99), 1),
            "max_ms": ms and round(max(ms), 1)}


def at_rest_latency(c, tr, ns, names, version):
    """Sequential spec changes, one at a time: latency to the first status write."""
    with tr.lock:
        tr.latencies = []
    for name in names:
        change_versions(c, tr, ns, [name], version, threads=1)
        wait_for(lambda: (ns, name) not in tr.pending, 30, f"status of {name}", poll=0.005,
                 check=tr.check)
    return lat_summary(tr.latencies)


STEPS_CHURN = [{"weight": 20, "hold": "2s"}, {"weight": 50, "hold": "2s"}, {"weight": 100}]


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
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--settle-timeout", type=float, default=900)
    ap.add_argument("--phases", default="analysis,idle")
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
            {"idle": run_idle_churn, "analysis": run_analysis}[phase](args, run_dir, result)
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
