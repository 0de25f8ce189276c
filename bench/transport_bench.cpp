// mr-bench-transport: the cost of one Kubernetes API request through HttpTransport (issue 15's
// libcurl client), for profiling without the rest of the controller. Against a running
// mr-test-apiserver (plain or --tls, its --kubeconfig-out file), it creates one ConfigMap per
// worker thread, opens --watches watches on the namespace (like the controller's informers),
// then each worker sends --requests GET + merge-PATCH pairs of its ConfigMap the way RestClient
// does (same headers, write cancel token), and waits until every watch has seen every change.
// It prints the requests, the watch events, wall time, process CPU (user/sys) and context
// switches of the measured part only. For a number that does not depend on the machine's load,
// run it under valgrind --tool=callgrind twice with different --requests and divide the
// difference of the totals by the difference of the requests (setup and teardown cancel out);
// bench/README.md "Transport cost per request" has the commands.
// --quiet-watches Q opens Q more watches that see no events (a namespace with no ConfigMaps).
// --idle-seconds S instead measures S seconds with the watches open and no requests.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "k8s/http_transport.h"
#include "k8s/kube_config.h"

namespace {

using mr::k8s::CancelToken;
using mr::k8s::HttpOutgoing;
using mr::k8s::HttpTransport;
using std::chrono::milliseconds;

struct Flags {
  std::string kubeconfig;
  int requests = 200;
  int threads = 1;
  int watches = 4;
  int quiet_watches = 0;
  double idle_seconds = 0;
};

constexpr const char* kNamespace = "mr-bench-transport";

int usage(const char* why) {
  std::fprintf(stderr,
               "%s\nusage: mr-bench-transport --kubeconfig FILE [--requests N] [--threads T] "
               "[--watches W] [--quiet-watches Q] [--idle-seconds S]\n",
               why);
  return 2;
}

HttpOutgoing request(const std::string& method, const std::string& target, std::string body = "",
                     const std::string& content_type = "") {
  HttpOutgoing r{method,
                 target,
                 {{"Accept", "application/json"}, {"User-Agent", "modelrollout-controller/0.1"}},
                 std::move(body)};
  if (!content_type.empty()) r.headers.emplace_back("Content-Type", content_type);
  return r;
}

struct Usage {
  double user = 0, sys = 0;
  long voluntary = 0, involuntary = 0;
};

Usage usageNow() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return {seconds(ru.ru_utime), seconds(ru.ru_stime), ru.ru_nvcsw, ru.ru_nivcsw};
}

// One watch of the namespace's ConfigMaps on its own thread; counts newline-ended events.
class Watch {
 public:
  Watch(HttpTransport& transport, const std::string& ns) : transport_(transport) {
    thread_ = std::thread([this, ns] {
      const auto s = transport_.stream(
          request("GET", "/api/v1/namespaces/" + ns + "/configmaps?watch=1"),
          std::chrono::seconds(600), cancel_, [this](int, const std::string&) { open_ = true; },
          [this](std::string_view piece) {
            for (char c : piece)
              if (c == '\n') events_.fetch_add(1);
            return !cancel_.cancelled.load();
          });
      if (!s.isOk() && !cancel_.cancelled)
        std::fprintf(stderr, "watch: %s\n", s.toString().c_str());
    });
  }
  ~Watch() {
    cancel_.cancelled = true;
    thread_.join();
  }
  long events() const { return events_.load(); }
  bool open() const { return open_.load(); }

 private:
  HttpTransport& transport_;
  CancelToken cancel_;
  std::atomic<long> events_{0};
  std::atomic<bool> open_{false};
  std::thread thread_;
};

bool waitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

bool ok(const mr::Result<mr::k8s::HttpIncoming>& r, const char* what) {
  if (r.isOk() && r->code < 300) return true;
  std::fprintf(
      stderr, "%s: %s\n", what,
      r.isOk() ? (std::to_string(r->code) + " " + r->body).c_str() : r.status().toString().c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage(("missing value for " + a).c_str());
    const char* v = argv[++i];
    if (a == "--kubeconfig")
      f.kubeconfig = v;
    else if (a == "--requests")
      f.requests = std::atoi(v);
    else if (a == "--threads")
      f.threads = std::atoi(v);
    else if (a == "--watches")
      f.watches = std::atoi(v);
    else if (a == "--quiet-watches")
      f.quiet_watches = std::atoi(v);
    else if (a == "--idle-seconds")
      f.idle_seconds = std::atof(v);
    else
      return usage(("unknown flag " + a).c_str());
  }
  if (f.kubeconfig.empty()) return usage("--kubeconfig is required");
  auto config = mr::k8s::loadKubeconfig({f.kubeconfig}, "", mr::RealClock::instance());
  if (!config.isOk()) return usage(config.status().toString().c_str());
  auto created = HttpTransport::create(*config);
  if (!created.isOk()) return usage(created.status().toString().c_str());
  HttpTransport& t = **created;
  const milliseconds timeout(30000);

  (void)t.roundTrip(request("POST", "/api/v1/namespaces",
                            R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" +
                                std::string(kNamespace) + "\"}}",
                            "application/json"),
                    timeout);  // 409 when it exists
  const std::string base = std::string("/api/v1/namespaces/") + kNamespace + "/configmaps";
  const long stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  std::vector<std::string> names;
  for (int w = 0; w < f.threads; ++w) {
    names.push_back("cm-" + std::to_string(stamp) + "-" + std::to_string(w));
    if (!ok(t.roundTrip(request("POST", base,
                                R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" +
                                    names.back() + R"("},"data":{"v":"0"}})",
                                "application/json"),
                        timeout),
            "create")) {
      return 1;
    }
  }
  std::vector<std::unique_ptr<Watch>> watches;
  watches.reserve(f.watches);
  for (int i = 0; i < f.watches; ++i)
    watches.push_back(std::make_unique<Watch>(t, kNamespace));
  // Open watches that see no events (the controller's informers of quiet resources).
  std::vector<std::unique_ptr<Watch>> quiet;
  quiet.reserve(f.quiet_watches);
  for (int i = 0; i < f.quiet_watches; ++i)
    quiet.push_back(std::make_unique<Watch>(t, std::string(kNamespace) + "-quiet"));
  // A watch without resourceVersion starts with an ADDED event per existing ConfigMap.
  const auto seen = [&](long at_least) {
    for (auto& w : watches)
      if (w->events() < at_least) return false;
    return true;
  };
  const auto all_open = [&] {
    for (auto& w : quiet)
      if (!w->open()) return false;
    return true;
  };
  if (!waitFor([&] { return seen(f.threads) && all_open(); }, std::chrono::seconds(60))) {
    return usage("the watches did not start");
  }
  std::vector<long> before;
  before.reserve(watches.size());
  for (auto& w : watches)
    before.push_back(w->events());

  const Usage u0 = usageNow();
  const auto w0 = std::chrono::steady_clock::now();
  std::atomic<int> failures{0};
  long requests = 0;
  if (f.idle_seconds > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(f.idle_seconds));
  } else {
    std::vector<std::thread> workers;
    workers.reserve(f.threads);
    for (int w = 0; w < f.threads; ++w) {
      workers.emplace_back([&, w] {
        CancelToken writes;  // RestClient passes its write fence's token with every write
        const std::string path = base + "/" + names[w];
        for (int i = 1; i <= f.requests; ++i) {
          if (!ok(t.roundTrip(request("GET", path), timeout), "get")) ++failures;
          const std::string patch = R"({"data":{"v":")" + std::to_string(i) + "\"}}";
          if (!ok(t.roundTrip(request("PATCH", path, patch, "application/merge-patch+json"),
                              timeout, &writes),
                  "patch")) {
            ++failures;
          }
        }
      });
    }
    for (auto& w : workers)
      w.join();
    requests = 2L * f.threads * f.requests;
    const long changes = static_cast<long>(f.threads) * f.requests;
    if (!waitFor(
            [&] {
              for (size_t i = 0; i < watches.size(); ++i)
                if (watches[i]->events() - before[i] < changes) return false;
              return true;
            },
            std::chrono::seconds(120))) {
      std::fprintf(stderr, "the watches missed events\n");
      ++failures;
    }
  }
  const auto w1 = std::chrono::steady_clock::now();
  const Usage u1 = usageNow();

  long events = 0;
  for (size_t i = 0; i < watches.size(); ++i)
    events += watches[i]->events() - before[i];
  const double wall = std::chrono::duration<double>(w1 - w0).count();
  const double cpu = (u1.user - u0.user) + (u1.sys - u0.sys);
  std::printf(
      "server %s threads %d watches %d requests %ld watch_events %ld failures %d\n"
      "wall_s %.3f cpu_user_s %.3f cpu_sys_s %.3f ctx_voluntary %ld ctx_involuntary %ld\n",
      config->server.c_str(), f.threads, f.watches, requests, events, failures.load(), wall,
      u1.user - u0.user, u1.sys - u0.sys, u1.voluntary - u0.voluntary,
      u1.involuntary - u0.involuntary);
  if (requests > 0) {
    std::printf("cpu_us_per_request %.1f ctx_per_request %.2f\n",
                cpu * 1e6 / static_cast<double>(requests),
                static_cast<double>(u1.voluntary - u0.voluntary) / static_cast<double>(requests));
  }
  watches.clear();
  quiet.clear();
  for (const auto& name : names) {
    std::string path = base;
    path.append("/").append(name);
    (void)t.roundTrip(request("DELETE", path), timeout);
  }
  return failures.load() == 0 ? 0 : 1;
}
