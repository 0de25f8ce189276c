"""Phase `failcheck` of the scale benchmark (issue 8, item 4, second half): under churn, time
from a failing analysis check to the HTTPRoute at 100% stable.

Cluster: mr-test-apiserver, mr-simulator (--fail-sim-rate req/s per rollout), the real
Prometheus (scrape every 1 s) behind lib.SlowProxy at delay 0, and the controller. C rollouts;
every (C/F)-th of them (F = --fail-checks) has analysis (errorRate only, max 0.01,
minSampleSize 10, interval --fail-interval, failureLimit 1) and steps 50% hold 1h / 100%; the
others are the plain churn rollouts (20% 2s / 50% 2s / 100%). All C are patched to a new version
at once, the analysed ones with SIM_ERROR_RATE=0.5, so their canary fails its first check with
enough samples while the others churn.

What is measured, per failing rollout (all times are the harness's monotonic clock):
  t_check = the moment the proxy starts writing the LAST Prometheus answer for that rollout
            before t_route. The controller stops querying a rollout while a check is in flight
            and the pass that consumes a Fail rolls back without starting another check, so that
            answer is the last query of the failing check: the controller cannot know the
            verdict before it, and it is only later than the check's end by the loopback write.
  t_route = the HTTPRoute watch event where the canary backendRef weight returns to 0 after
            having been > 0 for the new version.
  latency = t_route - t_check: the controller's parse/verdict, the done callback, queueing
            behind the churn, the reconcile that writes the route, and the watch delivery to
            the harness (a Python thread: pessimistic under load). Always > 0 by causality.
Cross-check: status.lastAnalysis.time (the deciding check's end, whole seconds) must lie in
(t_check - 1 s, t_check + 0.5 s] on the wall clock; disagreements are listed, not hidden.
Only rollouts whose final status is RolledBack with lastAnalysis.verdict Fail count. Also
reported: t_check -> first ModelRollout watch event with phase RolledBack, and how many route
moves happened before every churn rollout had finished (i.e. under the churn load).
"""

import datetime
import re
import threading
import time

import mrbench_lib as lib
from mrbench_cluster import (STEPS_CHURN, Cluster, HarnessError, Tracker, Window,
                             change_versions, create_rollouts, healthy, lat_summary, log, settle,
                             wait_for)

NS = "bench-fail"
STEPS_BAD = [{"weight": 50, "hold": "1h"}, {"weight": 100}]
_ROLLOUT_RE = re.compile(r'rollout="([^"]+)"')


class AnswerLog:
    """Per rollout, the times the proxy answered a query that names it (proxy threads append)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times = {}  # rollout name -> [t]
        self.unmatched = 0

    def __call__(self, promql, t):
        m = _ROLLOUT_RE.search(promql) if f'namespace="{NS}"' in promql else None
        with self.lock:
            if m:
                self.times.setdefault(m.group(1), []).append(t)
            else:
                self.unmatched += 1

    def count_before(self, name, t):
        with self.lock:
            return sum(1 for x in self.times.get(name, []) if x < t)

    def last_before(self, name, t):
        with self.lock:
            before = [x for x in self.times.get(name, []) if x < t]
        return max(before) if before else None


def analysis_spec(args, proxy_port):
    off = {"enabled": False}
    return {"prometheus": {"address": f"http://127.0.0.1:{proxy_port}", "timeout": "5s"},
            "interval": f"{args.fail_interval:g}s", "window": "10s", "minSampleSize": 10,
            "failureLimit": 1, "inconclusiveLimit": 1000,
            "metrics": {"errorRate": {"max": 0.01}, "latencyP99": off, "drift": off,
                        "maeDegradation": off}}


def run_failcheck(args, run_dir, result):
    c = Cluster(args, run_dir, "cluster-c")
    proxy = None
    try:
        c.start_apiserver()
        for ns in ("bench-system", NS):
            c.create_namespace(ns)
        c.start_simulator(rate=args.fail_sim_rate)
        c.start_prometheus()
        proxy = lib.SlowProxy(c.prom_port)
        c.allowed_prometheus = [f"http://127.0.0.1:{proxy.port}"]
        answers = AnswerLog()
        proxy.on_answer = answers
        tr = Tracker(c)
        c.start_controller()
        result["failcheck"] = measure(args, c, tr, proxy, answers)
        tr.stop()
    finally:
        if proxy:
            proxy.close()
        c.shutdown()


def measure(args, c, tr, proxy, answers):
    n = args.fail_churn
    names = [f"fc-{i}" for i in range(n)]
    bad = set(names[:: max(1, n // max(1, args.fail_checks))][: max(0, args.fail_checks)])
    good = [nm for nm in names if nm not in bad]
    ana = analysis_spec(args, proxy.port)
    create_rollouts(c, NS, names, lambda nm: lib.mr_obj(
        nm, NS, "v1", STEPS_BAD if nm in bad else STEPS_CHURN, analysis=ana if nm in bad else None))
    wait_for(lambda: tr.count(NS, healthy) >= n, args.settle_timeout, "failcheck rollouts Healthy",
             poll=1, check=tr.check)
    settle(c, args.settle_timeout)
    with tr.lock:
        old_stable = {k[1]: st["stable"] for k, st in tr.state.items() if k[0] == NS}
        tr.latencies = []

    routes = {}  # bad name -> [(t, canary weight)] after the patch
    rolled_back_at = {}  # bad name -> t of the first watch event with phase RolledBack

    def on_route(key, weight, t):
        if key[0] == NS and key[1] in bad:
            routes.setdefault(key[1], []).append((t, weight or 0))

    def on_mr(key, st, t):
        if key[0] == NS and key[1] in bad and st["phase"] == "RolledBack":
            rolled_back_at.setdefault(key[1], t)
    tr.on_route.append(on_route)
    tr.on_mr.append(on_mr)
    w = Window(c)
    depth_max = 0
    log(f"failcheck: changing {n} rollouts, {len(bad)} of them to a canary with 50% errors")
    t0 = time.monotonic()
    change_versions(c, tr, NS, names, "v2",
                    env=lambda nm: {"SIM_ERROR_RATE": 0.5} if nm in bad else None)
    t_patched = time.monotonic() - t0

    def churn_done():
        with tr.lock:
            return all(healthy(tr.state[(NS, nm)])
                       and tr.state[(NS, nm)]["stable"] != old_stable[nm] for nm in good)

    def bad_done():
        with tr.lock:
            return all(tr.state[(NS, nm)]["phase"] == "RolledBack" for nm in bad)
    t_churn_done = None
    while t_churn_done is None or not bad_done():
        tr.check()
        if time.monotonic() - t0 > args.settle_timeout:
            raise HarnessError("failcheck phase did not finish")
        depth_max = max(depth_max, lib.msum(c.metrics(), "modelrollout_workqueue_depth"))
        if t_churn_done is None and churn_done():
            t_churn_done = time.monotonic()  # polled: up to 0.2 s late
        time.sleep(0.2)
    dt = time.monotonic() - t0
    tr.on_route.remove(on_route)
    tr.on_mr.remove(on_mr)
    r = w.end()

    to_route, to_status, under_churn, not_fail, unmeasured = [], [], 0, [], []
    details = []  # per measured rollout, seconds after the patches started
    check_time_mismatch = []
    wall = time.time() - time.monotonic()
    with tr.lock:
        final = {nm: dict(tr.state[(NS, nm)]) for nm in bad}
        r["change_to_status"] = lat_summary(tr.latencies)
    for nm in sorted(bad):
        if final[nm]["verdict"] != "Fail":
            not_fail.append(nm)  # rolled back for another reason: not a failing-check reaction
            continue
        t_route = route_back_to_stable(routes.get(nm, []))
        t_check = answers.last_before(nm, t_route) if t_route else None
        if t_check is None:
            unmeasured.append(nm)
            continue
        to_route.append(t_route - t_check)
        # Cross-check that t_check ends the deciding check: lastAnalysis.time is that check's
        # end in whole seconds (wall clock), and the checks before it ended >= 1 interval earlier.
        la_time = last_analysis_time(c, nm)
        if la_time is None or not (t_check + wall - 1.0 < la_time <= t_check + wall + 0.5):
            check_time_mismatch.append(nm)
        details.append({"rollout": nm, "answers": answers.count_before(nm, t_route),
                        "check_s": round(t_check - t0, 3), "route_s": round(t_route - t0, 3),
                        "rolled_back_s": nm in rolled_back_at
                        and round(rolled_back_at[nm] - t0, 3)})
        under_churn += t_route <= t_churn_done
        if nm in rolled_back_at:
            to_status.append(rolled_back_at[nm] - t_check)
    r.update(n=n, failing=len(bad), seconds_to_done=round(dt, 1),
             churn_seconds=round(t_churn_done - t0, 1), patch_seconds=round(t_patched, 2),
             check_to_route_stable=lat_summary(to_route),
             check_to_status_rolled_back=lat_summary(to_status),
             route_moves_during_churn=under_churn, rolled_back_not_by_fail=not_fail,
             unmeasured=unmeasured, details=details, check_time_mismatch=check_time_mismatch,
             prometheus_answers_unmatched=answers.unmatched,
             workqueue_depth_max=depth_max, analysis_interval_s=args.fail_interval,
             sim_rate=args.fail_sim_rate,
             reconcile_p99_s=lib.hist_quantile(r["_metrics_before"], r["_metrics_after"],
                                               "modelrollout_reconcile_duration_seconds", 0.99))
    log(f"failcheck: {len(to_route)} measured ({under_churn} during churn of "
        f"{r['churn_seconds']}s), check->route p50/p99 "
        f"{r['check_to_route_stable']['p50_ms']} / {r['check_to_route_stable']['p99_ms']} ms; "
        f"lastAnalysis.time disagrees for {len(check_time_mismatch)}, not Fail {len(not_fail)}, "
        f"unmeasured {len(unmeasured)}")
    return r


def last_analysis_time(c, name):
    """status.lastAnalysis.time of a rollout as Unix seconds, or None."""
    obj = c.api.request("GET", f"{lib.MR_PATH}/namespaces/{NS}/modelrollouts/{name}")[1]
    t = ((obj.get("status") or {}).get("lastAnalysis") or {}).get("time")
    if not t:
        return None
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()


def route_back_to_stable(events):
    """Time of the first canary weight 0 after a weight > 0, or None."""
    seen_canary = False
    for t, weight in events:
        if weight > 0:
            seen_canary = True
        elif seen_canary:
            return t
    return None
