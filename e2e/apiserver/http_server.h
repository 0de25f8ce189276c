// A small HTTP/1.1 server on blocking sockets for the test API server: one thread per
// connection, keep-alive, Content-Length and chunked request bodies, plain or chunked responses
// (watches are long-lived chunked streams), optional TLS via OpenSSL (ALPN offers http/1.1 only,
// so Go clients never try HTTP/2).
// Thread-safety: start() once; the handler is called concurrently from connection threads.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace mr::apiserver {

struct HttpRequest {
  std::string method;
  std::string path;                               // decoded path, without the query
  std::multimap<std::string, std::string> query;  // decoded query parameters
  std::map<std::string, std::string> headers;     // names lower-cased
  std::string body;

  // First value of a query parameter, or `fallback`.
  std::string param(const std::string& name, const std::string& fallback = "") const;
  bool hasParam(const std::string& name) const { return query.count(name) > 0; }
  std::string header(const std::string& lower_name) const;
};

// Writes one response. Either send() once, or startStream() then writeChunk()* then endStream().
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual void send(int code, const std::string& content_type, const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;
  virtual bool startStream(int code, const std::string& content_type) = 0;
  // Returns false when the peer is gone.
  virtual bool writeChunk(const std::string& data) = 0;
  virtual void endStream() = 0;
  // Closes the connection without a terminating chunk (fault injection: dropped watch).
  virtual void abort() = 0;
  // True when the client closed its side (checked while a watch is idle).
  virtual bool peerClosed() = 0;
};

using HttpHandler = std::function<void(const HttpRequest&, ResponseWriter&)>;

class HttpServer {
 public:
  // `ssl_ctx` may be null for plain HTTP. The server takes no ownership of it.
  HttpServer(HttpHandler handler, SSL_CTX* ssl_ctx);
  ~HttpServer();

  // Binds "host:port" (port 0 = ephemeral) and starts the accept thread.
  Status start(const std::string& listen);
  int port() const { return port_; }
  // Stops accepting; waits up to `drain` for open connections (watches end within ~1s of
  // their client leaving) so the handler's owner can be destroyed safely afterwards.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(5000));
  int activeConnections() const { return active_; }

 private:
  void acceptLoop();
  void serveConnection(int fd);

  HttpHandler handler_;
  SSL_CTX* ssl_ctx_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> active_{0};
  std::thread accept_thread_;
};

// Parses "a=b&c=%20d" into `out`.
void parseQueryString(const std::string& qs, std::multimap<std::string, std::string>& out);
std::string urlDecode(const std::string& s, bool plus_is_space);

}  // namespace mr::apiserver
