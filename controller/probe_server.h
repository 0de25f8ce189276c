// ProbeServer: serves /healthz, /readyz and /metrics over HTTP/1.1 with cpprestsdk's
// http_listener (Boost.Asio; one of the packages the project is built on) instead of a
// hand-written server. Connections are handled asynchronously and requests concurrently on
// cpprestsdk's thread pool, so idle or slow clients hold no thread and cannot delay a probe
// (issue 15: eight idle connections used to delay /healthz by 8 s). `io_timeout` is passed to
// http_listener_config::set_timeout; cpprestsdk's Asio listener does not apply it to a client
// that connects and never completes its request (measured: such a connection stays open), so a
// stalled client costs one file descriptor and no thread until it goes away. Handlers are
// registered per exact path (GET and HEAD) before start(); a query string is ignored. Address
// forms: ":8080" (all interfaces), "127.0.0.1:0" (ephemeral; port() tells which), "[::1]:8081".
// Thread-safety: handlers may run on several threads at once and must be thread-safe;
// handle/start/stop from the owner. A handler that throws answers 500.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

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
  explicit ProbeServer(std::chrono::seconds io_timeout = std::chrono::seconds(5));
  ~ProbeServer();
  ProbeServer(const ProbeServer&) = delete;
  ProbeServer& operator=(const ProbeServer&) = delete;

  // REQUIRES: before start().
  void handle(const std::string& path, Handler handler) { handlers_[path] = std::move(handler); }
  Status start(const std::string& address);
  void stop();
  int port() const { return port_; }

 private:
  struct Listener;
  ProbeResponse respond(const std::string& method, const std::string& path) const;

  std::chrono::seconds io_timeout_;
  std::map<std::string, Handler> handlers_;
  std::unique_ptr<Listener> listener_;
  int port_ = 0;
};

}  // namespace mr::controller
