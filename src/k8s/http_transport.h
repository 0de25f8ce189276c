// HttpTransport: the HTTP client of RestClient for one API server, on libcurl (Debian's
// libcurl4-openssl-dev: OpenSSL, nghttp2). One multi handle, driven by one I/O thread that
// owns every curl handle, carries all requests and watches of the transport, so connections
// are reused (HTTP/1.1 keep-alive, or one multiplexed HTTP/2 connection) with no locking
// inside libcurl. Callers hand a request to that thread and wait for its result; watch data is
// handed back to the caller's thread, so a slow consumer never holds up other transfers (its
// transfer is paused while more than 4 MiB wait unread).
// - Protocol: HTTP/2 when the server offers it over TLS (ALPN h2), else HTTP/1.1, as client-go
//   (CURL_HTTP_VERSION_2TLS). Responses may be gzip-compressed (Accept-Encoding: gzip).
// - TLS: the CA in the config replaces the system trust store (client-go semantics); peer and
//   host name (tls_server_name when set, else the URL host) are verified unless
//   insecure_skip_tls_verify, which together with a CA is refused (client-go refuses it too).
//   PEM material is used from memory (CURLOPT_*_BLOB) and checked in create().
// - Proxies (transport_setup.h): kubeconfig `proxy-url`, else HTTPS_PROXY/HTTP_PROXY with
//   NO_PROXY (CIDRs included), never for loopback servers.
// - Time: roundTrip's timeout covers DNS, connect, TLS, writing, headers and the whole body
//   (libcurl checks it on every wake-up, so a server trickling header lines cannot extend
//   it); stream's idle timeout covers everything up to the headers and then restarts with
//   every body byte. TCP keepalive (30 s idle, 10 s interval, 3 probes) ends a half-open
//   connection in about a minute. Cancellation is noticed within ~100 ms.
// - Limits: response bodies over max_body_bytes (decoded size) are refused, by Content-Length
//   before any byte is read; at most 256 KiB and 200 lines of response headers.
// - Retries: libcurl re-sends a request once when a reused connection turns out dead before any
//   response byte. That is allowed for GET and HEAD only: a request with a body is never sent
//   twice (Go's http.Transport rule); it fails Unavailable instead and the caller decides.
// - Headers: a control character in any header name or value is refused (InvalidArgument, the
//   value is not repeated), so a token cannot inject headers.
// - Errors: connect/reset/EOF/malformed response -> Unavailable; timeouts -> DeadlineExceeded;
//   bad request input -> InvalidArgument. HTTP error codes are not errors here.
// Thread-safety: all methods may be called from many threads at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
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
  int http_version = 0;  // 11 or 20: the protocol the response came over
};

struct HttpTransportOptions {
  std::chrono::milliseconds connect_timeout{10000};
  size_t max_body_bytes = 64u << 20;
  // Connections libcurl keeps open, in use or idle (CURLMOPT_MAXCONNECTS counts both): with
  // HTTP/1.1 every watch holds one, so this is well above watches + workers.
  long max_connections = 64;
  // Proxy variables (HTTPS_PROXY...); the process environment by default.
  EnvLookup env = processEnv();
  // Called with each new socket after the transport configured it (tests inspect options).
  std::function<void(int fd)> socket_observer;
};

class HttpTransport {
 public:
  // Parses the server URL (a path in it prefixes every request target), checks the TLS
  // material and starts the I/O thread; fails on a bad URL, PEM material or TLS flags.
  static Result<std::unique_ptr<HttpTransport>> create(const ClusterConfig& config,
                                                       HttpTransportOptions options = {});
  // Ends every transfer in flight (Unavailable) and joins the I/O thread.
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Sends `request` and reads the whole response within `timeout`. When `cancel` is given and
  // set, the request ends (Unavailable, "cancelled") within ~100 ms; bytes already written
  // cannot be recalled.
  Result<HttpIncoming> roundTrip(const HttpOutgoing& request, std::chrono::milliseconds timeout,
                                 const CancelToken* cancel = nullptr);

  // Sends `request` and streams the response. `on_head` gets the status code; for a non-2xx
  // code the whole body is read and passed to it and stream() returns ok. For 2xx, each piece
  // of the (decoded) body goes to `on_data` as it arrives; returning false from on_data ends
  // the stream. Returns ok at the end of the body or soon (<= 100 ms) after `cancel` is set.
  // Both callbacks run on the calling thread.
  Status stream(const HttpOutgoing& request, std::chrono::milliseconds idle_timeout,
                const CancelToken& cancel, const std::function<void(int, std::string)>& on_head,
                const std::function<bool(std::string_view)>& on_data);

  struct Impl;

 private:
  explicit HttpTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mr::k8s
