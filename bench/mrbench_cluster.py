"""Cluster and measurement helpers of the scale benchmark (bench/mrbench.py and its phase
modules): the processes under test (Cluster), a watch-driven view of every ModelRollout and
HTTPRoute (Tracker), CPU/memory/API-write windows (Window), and the small helpers the phases share.

Python 3 standard library only. Thread-safety: Tracker's callbacks run on its watch threads and
take `Tracker.lock` for its shared state; everything else is used from the driver thread.
"""

import os
import socket
import subprocess
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import mrbench_lib as lib

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
        # Analysis runs query a loopback proxy; the controller queries only allowed addresses.
        if getattr(self, "allowed_prometheus", None):
            cmd.append("--allowed-prometheus-addresses=" + ",".join(self.allowed_prometheus))
        t0 = time.monotonic()
        self._start("controller", cmd)
        url = f"http://127.0.0.1:{self.ctl_port}/readyz"

        def ready():
            try:
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
        # key -> [t_change, generation, t_spec_seen]: waiting for the first status write;
        # t_spec_seen = when this watch delivered the spec change itself
        self.pending = {}
        self.latencies = []  # change sent -> status event seen
        self.spec_seen_latencies = []  # spec event seen -> status event seen (same stream)
        self.spec_event_lags = []  # change sent -> its own spec event seen
        self.transitions = 0
        self.count_transitions = set()  # namespaces whose transitions are counted
        self.on_mr = []  # extra callbacks (key, st, t)
        self.on_route = []  # extra callbacks (key, canary weight or None, t), not for DELETED
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
              "weight": status.get("canaryWeight"), "stable": status.get("stableRevision"),
              "verdict": (status.get("lastAnalysis") or {}).get("verdict")}
        with self.lock:
            if typ == "DELETED":
                self.state.pop(key, None)
                return
            old = self.state.get(key)
            self.state[key] = st
            p = self.pending.get(key)
            if p and p[2] is None and st["gen"] >= p[1]:
                p[2] = t
            if p and st["obs"] >= p[1]:
                self.latencies.append(t - p[0])
                self.spec_seen_latencies.append(t - p[2])
                self.spec_event_lags.append(p[2] - p[0])
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
        if typ != "DELETED":
            w = lib.canary_weight_of_route(obj)
            for cb in self.on_route:
                cb(key, w, t)

    def count(self, ns, pred):
        with self.lock:
            return sum(1 for (n, _), st in self.state.items() if n == ns and pred(st))

    def expect_status(self, key, t, gen):
        with self.lock:
            self.pending[key] = [t, gen, None]

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
    """Patches the template image of every rollout (and its env: a dict, or a function of the
    name returning one or None); latencies go to tr.latencies."""
    def one(name):
        container = {"name": "server", "image": f"registry.example/bench:{version}"}
        e = env(name) if callable(env) else env
        if e:
            container["env"] = [{"name": k, "value": str(v)} for k, v in e.items()]
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
