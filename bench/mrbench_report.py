"""Prints the benchmark result (the JSON written by mrbench.py) as a Markdown table, with the
issue 8 targets beside the measured numbers. Usage: python3 bench/mrbench_report.py FILE.json
"""

import json
import sys


def _g(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def _p50_p99(summary):
    return f"{_fmt(summary['p50_ms'])} / {_fmt(summary['p99_ms'])}"


def _queue_and_load(prefix, r):
    """The last two rows of a phase under load: queue depth and reconcile p99, load average."""
    return [(f"{prefix}: max work queue depth, reconcile p99",
             f"{_fmt(r['workqueue_depth_max'])}, {_fmt(r['reconcile_p99_s'])} s", "", ""),
            (f"{prefix}: load average", f"{r['loadavg_start']:.1f}-{r['loadavg_end']:.1f}",
             "", "")]


def rows(result):
    out = []
    for r in result.get("idle", []):
        n = r["n"]
        out.append((f"idle N={n}: start -> /readyz", _g(r, "ready_s"), "s", ""))
        out.append((f"idle N={n}: controller RSS (peak)",
                    f"{_fmt(r['controller_rss_mib'])} ({_fmt(r['controller_peak_rss_mib'])})",
                    "MiB", "<= 15 (N=0), <= 64 (N=10k)"))
        out.append((f"idle N={n}: controller CPU at rest", r["controller_cpu_s_per_min"],
                    "s/min", ""))
        out.append((f"idle N={n}: controller API writes at rest", r["controller_writes_per_min"],
                    "/min", "lease only"))
        out.append((f"idle N={n}: reconciles at rest", r["reconciles"],
                    f"in {r['seconds']}s", ""))
        if "first_pass_after_ready_s" in r:
            out.append((f"idle N={n}: /readyz -> first pass done", r["first_pass_after_ready_s"],
                        "s", ""))
        rest = r.get("rest_change_to_status")
        if rest:
            out.append((f"idle N={n}: spec change -> status p50/p99 (at rest)",
                        _p50_p99(rest), "ms", "p99 <= 100"))
        out.append((f"idle N={n}: apiserver / simulator CPU",
                    f"{_fmt(r.get('apiserver_cpu_s_per_min'))} / "
                    f"{_fmt(r.get('simulator_cpu_s_per_min'))}", "s/min", ""))
        out.append((f"idle N={n}: load average", f"{r['loadavg_start']:.1f}-{r['loadavg_end']:.1f}",
                    "", ""))
    c = result.get("churn")
    if c:
        n = c["n"]
        out.append((f"churn {n}: spec change -> first status p50/p99",
                    _p50_p99(c['change_to_status']), "ms", "p99 <= 1000"))
        if c.get("spec_event_to_status"):
            # Both on the harness's one watch stream: its lag (API server fan-out, the Python
            # thread under a saturated CPU) largely cancels out of the first row.
            out.append((f"churn {n}: of it, spec event seen -> status event seen p50/p99",
                        _p50_p99(c['spec_event_to_status']), "ms", ""))
            out.append((f"churn {n}: of it, spec change -> its own watch event p50/p99",
                        _p50_p99(c['change_to_spec_event']), "ms", "harness + API server lag"))
        out.append((f"churn {n}: transitions/s", c["transitions_per_s"],
                    f"({c['transitions']} in {c['seconds_to_done']}s)", ""))
        out.append((f"churn {n}: API writes per transition", c["writes_per_transition"], "",
                    "<= 2 (+1 event)"))
        kinds = c.get("writes_by_kind") or {}
        trans = max(1, c["transitions"])
        named = sum(kinds.values())
        split = " / ".join(f"{k} {v / trans:.2f}" for k, v in sorted(kinds.items()))
        out.append((f"churn {n}: writes per transition by kind",
                    f"{split} / other {(c['controller_writes'] - named) / trans:.2f}",
                    "", "other = Deployments, Services, Events, lease"))
        out.append((f"churn {n}: reconciles per transition", c["reconciles_per_transition"], "",
                    ""))
        out.append((f"churn {n}: abort -> route 100% stable p50/p99",
                    _p50_p99(c['abort_to_route_stable']),
                    f"ms (n={c['abort_to_route_stable']['n']})", "p99 <= 200"))
        out.append((f"churn {n}: controller / apiserver / simulator CPU",
                    f"{_fmt(c['controller_cpu_s_per_min'])} / {_fmt(c['apiserver_cpu_s_per_min'])}"
                    f" / {_fmt(c['simulator_cpu_s_per_min'])}", "s/min", ""))
        out.extend(_queue_and_load(f"churn {n}", c))
    f = result.get("failcheck")
    if f:
        p = f"failcheck {f['n']} ({f['failing']} failing)"
        cr, cs = f["check_to_route_stable"], f["check_to_status_rolled_back"]
        out.append((f"{p}: failing check -> route 100% stable p50/p99",
                    _p50_p99(cr),
                    f"ms (n={cr['n']}, {f['route_moves_during_churn']} during churn"
                    + (f", {len(f['check_time_mismatch'])} start mismatches"
                       if f.get("check_time_mismatch") else "") + ")",
                    "p99 <= 200"))
        out.append((f"{p}: failing check -> status RolledBack p50/p99",
                    _p50_p99(cs), "ms", ""))
        out.append((f"{p}: spec change -> first status p50/p99 (the churn)",
                    _p50_p99(f['change_to_status']),
                    f"ms (churn done in {f['churn_seconds']}s)", ""))
        out.append((f"{p}: controller / apiserver / sim / prom CPU",
                    " / ".join(_fmt(f.get(f"{k}_cpu_s_per_min")) for k in
                               ("controller", "apiserver", "simulator", "prometheus")),
                    "s/min", ""))
        out.extend(_queue_and_load(p, f))
    a = result.get("analysis")
    if a:
        for key in sorted(k for k in a if k.startswith("delay_")):
            w = a[key]
            d = w["prometheus_delay_s"]
            out.append((f"analysis {a['n']} (Prometheus +{d:g}s): queries/s", w["queries_per_s"],
                        "", "<= 2 per metric per check"))
            out.append((f"analysis {a['n']} (+{d:g}s): query latency p50/p99 (bucket bound)",
                        f"{_fmt(w['query_p50_s'])} / {_fmt(w['query_p99_s'])}", "s", ""))
            u = w["unrelated_change_to_status"]
            out.append((f"analysis {a['n']} (+{d:g}s): unrelated spec change -> status p50/p99",
                        _p50_p99(u), "ms", "not blocked"))
            out.append((f"analysis {a['n']} (+{d:g}s): controller / apiserver / sim / prom CPU",
                        " / ".join(_fmt(w.get(f"{p}_cpu_s_per_min")) for p in
                                   ("controller", "apiserver", "simulator", "prometheus")),
                        "s/min", ""))
            out.append((f"analysis {a['n']} (+{d:g}s): controller RSS", w["controller_rss_mib"],
                        "MiB", ""))
    return out


def print_table(result):
    print()
    print(f"machine: {result['machine']['cpus']} x {result['machine']['cpu_model']}; "
          f"load average at start {result['loadavg_start'][0]:.1f}")
    print("| measurement | value | unit | target |")
    print("|---|---|---|---|")
    for name, v, unit, target in rows(result):
        print(f"| {name} | {_fmt(v)} | {unit} | {target} |")
    if result.get("error"):
        print(f"\nHARNESS ERROR: {result['error']}")


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print_table(json.load(f))
