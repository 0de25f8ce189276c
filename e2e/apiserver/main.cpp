// mr-test-apiserver: a Kubernetes-API-compatible test server (see README.md).
//   mr-test-apiserver --listen 127.0.0.1:0 --port-file FILE --kubeconfig-out FILE
//     [--tls --cert-dir DIR] [--token TOKEN] [--seed N] [--bookmark-interval 1s]
//     [--history-size N] [--fault-error VERB:RATE:CODE[:RESOURCE]]... [--fault-latency 50ms]
//     [--fault-drop-watch-after 5s] [--write-log FILE] [--log-level info]
// Prints "listening on http(s)://127.0.0.1:PORT" when ready; exits on SIGINT/SIGTERM.
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "api_server.h"
#include "common/duration.h"
#include "common/logging.h"
#include "encoding.h"
#include "http_server.h"
#include "tls_certs.h"

namespace {

using namespace mr;
using namespace mr::apiserver;

struct Flags {
  std::string listen = "127.0.0.1:0";
  std::string port_file, kubeconfig_out, cert_dir, token, log_level = "info", write_log;
  bool tls = false;
  uint64_t seed = 1;
  std::chrono::milliseconds bookmark_interval{60000};
  size_t history_size = 10000;
  std::vector<std::string> fault_errors;
  int fault_latency_ms = 0;
  int fault_drop_watch_after_s = 0;
};

int usage(const std::string& why) {
  std::cerr
      << "mr-test-apiserver: " << why << "\n"
      << "usage: mr-test-apiserver --listen 127.0.0.1:0 --port-file FILE --kubeconfig-out FILE\n"
         "  [--tls --cert-dir DIR] [--token TOKEN] [--seed N] [--bookmark-interval 1s]\n"
         "  [--history-size N] [--fault-error VERB:RATE:CODE[:RESOURCE]] [--fault-latency 50ms]\n"
         "  [--fault-drop-watch-after 5s] [--write-log FILE] [--log-level info]\n";
  return 2;
}

Status writeFile(const std::string& path, const std::string& content) {
  if (path.empty()) return Status::ok();
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    if (!out) return unavailable("cannot write " + path);
  }
  std::filesystem::rename(tmp, path);  // atomic: readers never see a half-written file
  return Status::ok();
}

std::string kubeconfig(const std::string& server, const std::string& ca_pem,
                       const std::string& token) {
  std::string out =
      "apiVersion: v1\nkind: Config\nclusters:\n- name: mr-test\n  cluster:\n    server: " +
      server + "\n";
  if (!ca_pem.empty()) out += "    certificate-authority-data: " + base64Encode(ca_pem) + "\n";
  out += "users:\n- name: mr-test\n  user:";
  out += token.empty() ? " {}\n" : "\n    token: " + token + "\n";
  out +=
      "contexts:\n- name: mr-test\n  context:\n    cluster: mr-test\n    user: mr-test\n    "
      "namespace: default\n"
      "current-context: mr-test\n";
  return out;
}

volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) {
  g_stop = 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--listen")
      f.listen = next();
    else if (a == "--port-file")
      f.port_file = next();
    else if (a == "--kubeconfig-out")
      f.kubeconfig_out = next();
    else if (a == "--tls")
      f.tls = true;
    else if (a == "--cert-dir")
      f.cert_dir = next();
    else if (a == "--token")
      f.token = next();
    else if (a == "--seed")
      f.seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--history-size")
      f.history_size = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--log-level")
      f.log_level = next();
    else if (a == "--write-log")
      f.write_log = next();
    else if (a == "--fault-error")
      f.fault_errors.push_back(next());
    else if (a == "--bookmark-interval" || a == "--fault-latency" ||
             a == "--fault-drop-watch-after") {
      auto d = parseDuration(next());
      if (!d.isOk()) return usage(a + ": " + d.status().message());
      if (a == "--bookmark-interval") f.bookmark_interval = d.value();
      if (a == "--fault-latency") f.fault_latency_ms = static_cast<int>(d.value().count());
      if (a == "--fault-drop-watch-after")
        f.fault_drop_watch_after_s = static_cast<int>(d.value().count() / 1000);
    } else if (a == "--help" || a == "-h") {
      return usage("help");
    } else {
      return usage("unknown flag " + a);
    }
  }
  if (f.tls && f.cert_dir.empty()) return usage("--tls needs --cert-dir");
  if (Status s = setupLogging("text", f.log_level); !s.isOk()) return usage(s.message());
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);

  ApiServerOptions opts;
  opts.token = f.token;
  opts.bookmark_interval = f.bookmark_interval;
  opts.history_size = f.history_size;
  opts.seed = f.seed;
  ApiServer api(opts, RealClock::instance());
  for (const auto& spec : f.fault_errors) {
    if (Status s = api.faults().addErrorFlag(spec); !s.isOk()) return usage(s.message());
  }
  api.faults().setLatencyMs(f.fault_latency_ms);
  if (!f.write_log.empty()) {
    if (Status s = api.writeLog().openFile(f.write_log); !s.isOk()) return usage(s.message());
  }
  api.faults().setDropWatchesAfterSeconds(f.fault_drop_watch_after_s);

  SSL_CTX* ctx = nullptr;
  std::string ca_pem;
  if (f.tls) {
    Result<TlsMaterial> m = generateTlsMaterial();
    if (!m.isOk()) return usage(m.status().message());
    if (Status s = writeTlsMaterial(m.value(), f.cert_dir); !s.isOk()) return usage(s.message());
    Result<SSL_CTX*> c = makeServerContext(m.value());
    if (!c.isOk()) return usage(c.status().message());
    ctx = c.value();
    ca_pem = m.value().ca_pem;
  }
  HttpServer server([&api](const HttpRequest& req, ResponseWriter& w) { api.handle(req, w); }, ctx);
  if (Status s = server.start(f.listen); !s.isOk()) return usage(s.message());
  std::string host = f.listen.substr(0, f.listen.rfind(':'));
  std::string address = host + ":" + std::to_string(server.port());
  api.setExternalAddress(address);
  std::string url = std::string(f.tls ? "https://" : "http://") + address;
  if (Status s = writeFile(f.kubeconfig_out, kubeconfig(url, ca_pem, f.token)); !s.isOk())
    return usage(s.message());
  if (Status s = writeFile(f.port_file, std::to_string(server.port()) + "\n"); !s.isOk())
    return usage(s.message());
  std::cout << "listening on " << url << std::endl;
  spdlog::info("mr-test-apiserver listening on {}", url);
  while (!g_stop)
    RealClock::instance().sleepFor(Millis(200));
  spdlog::info("shutting down");
  std::cout.flush();
  // Watch threads are detached and may be blocked; leave without running static destructors.
  std::_Exit(0);
}
