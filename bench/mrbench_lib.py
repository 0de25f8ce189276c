"""Building blocks of the scale benchmark (bench/mrbench.py): a keep-alive JSON client for the
test API server, watch streams, the objects the benchmark creates, /proc readings of the
processes under test, a Prometheus text-format scraper, and a slow HTTP proxy.

Python 3 standard library only. Thread-safety: ApiClient keeps one connection per thread;
Watch runs its own thread and calls its callback from it; ProcStat is read-only.
"""

import http.client
import http.server
import json
import os
import socketserver
import threading
import time
import urllib.parse
import urllib.request

MR_PATH = "/apis/modelrollout.io/v1alpha1"
ROUTE_PATH = "/apis/gateway.networking.k8s.io/v1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def now():
    return time.monotonic()


class ApiError(Exception):
    pass


class ApiClient:
    """JSON over HTTP/1.1 keep-alive to the test API server (plain HTTP, no token)."""

    def __init__(self, port):
        self.port = port
        self.local = threading.local()

    def _conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.local.conn = c
        return c

    def request(self, method, path, body=None, ctype="application/json", ok=(200, 201)):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = ctype
        for attempt in range(3):
            conn = self._conn()
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        obj = json.loads(raw) if raw else {}
        if ok and resp.status not in ok:
            raise ApiError(f"{method} {path}: {resp.status} {raw[:300]!r}")
        return resp.status, obj

    def merge_patch(self, path, body):
        return self.request("PATCH", path, body, "application/merge-patch+json")[1]

    def stats(self):
        return self.request("GET", "/admin/stats")[1]


class Watch(threading.Thread):
    """Streams `path?watch=1` from resourceVersion `rv`; callback(type, obj, t_monotonic)."""

    def __init__(self, port, path, rv, callback):
        super().__init__(daemon=True)
        self.port, self.path, self.rv, self.callback = port, path, rv, callback
        self.stopped = False
        self.error = None
        self.conn = None

    def run(self):
        try:
            while not self.stopped:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=3600)
                q = f"{self.path}?watch=1&allowWatchBookmarks=true&resourceVersion={self.rv}"
                self.conn.request("GET", q, headers={"Accept": "application/json"})
                resp = self.conn.getresponse()
                if resp.status != 200:
                    raise ApiError(f"watch {q}: {resp.status}")
                while not self.stopped:
                    line = resp.readline()
                    if not line:
                        break
                    t = now()
                    ev = json.loads(line)
                    obj = ev.get("object", {})
                    if ev.get("type") == "ERROR":
                        raise ApiError(f"watch error: {obj}")
                    rv = obj.get("metadata", {}).get("resourceVersion")
                    if rv:
                        self.rv = rv
                    if ev.get("type") != "BOOKMARK":
                        self.callback(ev["type"], obj, t)
        except Exception as e:  # reported by the driver; a dead watch breaks the run
            if not self.stopped:
                self.error = e

    def stop(self):
        self.stopped = True
        try:
            if self.conn and self.conn.sock:
                self.conn.sock.shutdown(2)
        except OSError:
            pass


def route_obj(name, ns):
    return {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"parentRefs": [{"name": "bench-gateway"}],
                 "rules": [{"backendRefs": [
                     {"name": f"{name}-stable", "port": 80, "weight": 100},
                     {"name": f"{name}-canary", "port": 80, "weight": 0}]}]},
    }


def mr_obj(name, ns, version, steps, analysis=None, env=None, routed=True):
    labels = {"app": name}
    container = {"name": "server", "image": f"registry.example/bench:{version}"}
    if env:
        container["env"] = [{"name": k, "value": str(v)} for k, v in env.items()]
    spec = {
        "replicas": 1,
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        "service": {"port": 80, "targetPort": 8080},
        "steps": steps,
    }
    if routed:
        spec["trafficRouting"] = {"gatewayAPI": {"httpRoute": name}}
    if analysis:
        spec["analysis"] = analysis
    return {"apiVersion": "modelrollout.io/v1alpha1", "kind": "ModelRollout",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def canary_weight_of_route(route):
    """Canary backendRef weight of our first rule, or None when absent."""
    for rule in route.get("spec", {}).get("rules", []):
        for ref in rule.get("backendRefs", []):
            if ref.get("name", "").endswith("-canary"):
                return ref.get("weight", 1)
    return None


class ProcStat:
    """CPU seconds and RSS of one process, from /proc."""

    def __init__(self, pid):
        self.pid = pid

    def cpu_seconds(self):
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
        except OSError:
            return float("nan")

    def mem_kib(self):
        out = {}
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in ("VmRSS", "VmHWM"):
                        out[k] = int(v.split()[0])
        except OSError:
            pass
        return out.get("VmRSS", 0), out.get("VmHWM", 0)


def scrape(url):
    """Prometheus text format -> {(name, frozenset(labels)): value}."""
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        head, _, val = line.rpartition(" ")
        name, labels = head, frozenset()
        if "{" in head:
            name, rest = head.split("{", 1)
            pairs = []
            for part in rest.rstrip("}").split('",'):
                if "=" in part:
                    k, v = part.split("=", 1)
                    pairs.append((k.strip(), v.strip().strip('"')))
            labels = frozenset(pairs)
        try:
            out[(name, labels)] = float(val)
        except ValueError:
            pass
    return out


def msum(m, name, pred=lambda labels: True):
    return sum(v for (n, l), v in m.items() if n == name and pred(dict(l)))


def api_writes(m):
    return msum(m, "modelrollout_api_requests_total",
                lambda l: l.get("verb") not in ("get", "list", "watch"))


def hist_quantile(before, after, name, q):
    """Quantile from the bucket deltas of a histogram (upper bound of the bucket, like PromQL
    without interpolation); None without observations."""
    buckets = []
    for (n, l), v in after.items():
        if n == name + "_bucket":
            le = dict(l)["le"]
            buckets.append((float("inf") if le == "+Inf" else float(le),
                            v - before.get((n, l), 0.0)))
    buckets.sort()
    if not buckets or buckets[-1][1] <= 0:
        return None
    target = q * buckets[-1][1]
    for le, c in buckets:
        if c >= target:
            return le
    return None


def percentile(values, q):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


class SlowProxy:
    """Threaded HTTP GET/POST proxy to `upstream_port` adding `delay` seconds (settable) before
    forwarding; stands in for a slow Prometheus. `on_answer(promql, t)`, when set, is called on
    the proxy thread for every answered request with its PromQL (`query` of the URL or form
    body, "" if none) and the monotonic time taken just BEFORE the answer is written back, so
    the client cannot have read the answer earlier than `t`."""

    def __init__(self, upstream_port):
        self.delay = 0.0
        self.requests = 0
        self.on_answer = None
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self):
                proxy.requests += 1
                if proxy.delay > 0:
                    time.sleep(proxy.delay)
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                c = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                hdrs = {k: v for k, v in self.headers.items()
                        if k.lower() in ("content-type", "accept")}
                c.request(self.command, self.path, body=body, headers=hdrs)
                r = c.getresponse()
                data = r.read()
                if proxy.on_answer:
                    form = body.decode(errors="replace") if body else ""
                    params = urllib.parse.parse_qs(form or urllib.parse.urlsplit(self.path).query)
                    proxy.on_answer((params.get("query") or [""])[0], now())
                self.send_response(r.status)
                self.send_header("Content-Type", r.getheader("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                c.close()

            do_GET = _forward
            do_POST = _forward

            def log_message(self, *a):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
