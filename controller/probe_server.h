// ProbeServer: a minimal HTTP/1.1 server for /healthz, /readyz and /metrics. Handlers are
// registered per exact path (GET only) before start(); each request is answered and the
// connection closed, which is all kubelet probes and Prometheus scrapes need. Address forms:
// ":8080" (all interfaces), "127.0.0.1:0" (ephemeral; port() tells which), "[::1]:8081".
// Thread-safety: handlers run on the server's single thread; start/stop from the owner.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "common/status.h"

namespace mr::controller {

struct ProbeResponse {
  int code = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

class ProbeServer {
 public:
  using Handler = std::function<ProbeResponse()>;
  ProbeServer() = default;
  ~ProbeServer();

  // REQUIRES: before start().
  void handle(const std::string& path, Handler handler) { handlers_[path] = std::move(handler); }
  Status start(const std::string& address);
  void stop();
  int port() const { return port_; }

 private:
  void loop();
  void serveOne(int fd);

  std::map<std::string, Handler> handlers_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace mr::controller
