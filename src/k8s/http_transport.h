// HttpTransport: a small HTTP/1.1 client for one API server, on blocking-by-poll sockets and
// OpenSSL, with a pool of keep-alive connections. It replaces cpprestsdk on the controller's
// hot path: one request costs the calling thread a write and a read, with no task hand-offs.
// - TLS: the CA in the config replaces the system trust store (client-go semantics); peer and
//   host name (tls_server_name when set, else the URL host; IP addresses as IP SANs) are
//   verified unless insecure_skip_tls_verify; SNI is sent for names; client certificates are
//   loaded into the context. ALPN offers http/1.1 only. SIGPIPE is ignored process-wide
//   (OpenSSL writes with write(); a reset connection must be an error, not a dead process).
// - Timeouts: roundTrip's covers connect, write and the whole response (and it may be
//   cancelled); stream's idle timeout
//   restarts with every byte received (a silent dead watch ends with DeadlineExceeded).
// - A request on a reused connection that fails before any response byte arrives (the server
//   closed it while idle) is sent again once on a new connection. Idle connections the server
//   has closed are also dropped before reuse.
// - Errors: connect/reset/EOF -> Unavailable; timeouts -> DeadlineExceeded; a malformed
//   response -> Unavailable (the connection is discarded). HTTP error codes are not errors here.
// Thread-safety: all methods may be called from many threads at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "k8s/api_client.h"
#include "k8s/kube_config.h"

namespace mr::k8s {

struct HttpOutgoing {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string target;  // path and encoded query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length when non-empty or method is not GET/DELETE
};

struct HttpIncoming {
  int code = 0;
  std::string body;
};

struct HttpTransportOptions {
  std::chrono::milliseconds connect_timeout{10000};
  size_t max_idle_connections = 16;
};

class HttpConnection;

class HttpTransport {
 public:
  // Parses the server URL (a path in it prefixes every request target) and builds the TLS
  // context; fails on a bad URL or PEM material.
  static Result<std::unique_ptr<HttpTransport>> create(const ClusterConfig& config,
                                                       HttpTransportOptions options = {});
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Sends `request` and reads the whole response within `timeout`. When `cancel` is given and
  // set, the request ends (Unavailable, "cancelled") within ~100 ms and its connection is
  // dropped; bytes already written cannot be recalled.
  Result<HttpIncoming> roundTrip(const HttpOutgoing& request, std::chrono::milliseconds timeout,
                                 const CancelToken* cancel = nullptr);

  // Sends `request` on a connection of its own. `on_head` gets the status code; for a non-2xx
  // code the whole body is read and passed to it and stream() returns ok. For 2xx, each piece
  // of the (de-chunked) body goes to `on_data` as it arrives; returning false from on_data ends
  // the stream. Returns ok at the end of the body or soon (<= 100 ms) after `cancel` is set.
  Status stream(const HttpOutgoing& request, std::chrono::milliseconds idle_timeout,
                const CancelToken& cancel, const std::function<void(int, std::string)>& on_head,
                const std::function<bool(std::string_view)>& on_data);

  // Connections currently idle in the pool (for tests).
  size_t idleConnections() const;

 private:
  struct Endpoint;
  HttpTransport(std::unique_ptr<Endpoint> endpoint, HttpTransportOptions options);
  Result<std::unique_ptr<HttpConnection>> connect(
      std::chrono::steady_clock::time_point deadline) const;
  std::unique_ptr<HttpConnection> takeIdle();
  void putIdle(std::unique_ptr<HttpConnection> connection);
  std::string serialize(const HttpOutgoing& request) const;

  std::unique_ptr<Endpoint> endpoint_;
  HttpTransportOptions options_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<HttpConnection>> idle_;
};

}  // namespace mr::k8s
