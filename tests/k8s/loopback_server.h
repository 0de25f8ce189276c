// LoopbackServer: a tiny HTTP/1.1 server on 127.0.0.1:<ephemeral> for RestClient integration
// tests. Each connection runs on its own thread and may carry several requests (keep-alive).
// The handler writes the response through HttpConnection, which can send whole responses,
// chunked bodies piece by piece (with pauses), or drop the connection mid-stream.
// Thread-safety: the handler runs concurrently on connection threads.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mr::k8s::testing {

struct HttpRequest {
  std::string method;
  std::string path;                            // without query
  std::string query;                           // raw, without '?'
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  // Decoded value of a query parameter ("" if absent).
  std::string param(const std::string& name) const;
};

class HttpConnection {
 public:
  explicit HttpConnection(int fd) : fd_(fd) {}
  void respond(int code, const std::string& body,
               const std::string& content_type = "application/json");
  void startChunked(int code = 200);
  // Sends `data` as one HTTP chunk.
  void chunk(const std::string& data);
  void endChunked();
  // Sends bytes as they are (a hand-framed or malformed response).
  void raw(const std::string& bytes) { sendAll(bytes); }
  // Closes the socket without finishing the response (a dropped connection).
  void drop();
  bool dropped() const { return dropped_; }

 private:
  bool sendAll(const std::string& data);
  int fd_;
  bool dropped_ = false;
};

class LoopbackServer {
 public:
  using Handler = std::function<void(const HttpRequest&, HttpConnection&)>;
  explicit LoopbackServer(Handler handler);
  ~LoopbackServer();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<HttpRequest> requests();
  // Connections accepted so far.
  size_t connections();

 private:
  void acceptLoop();
  void serve(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<HttpRequest> requests_;
  std::vector<std::thread> threads_;
  std::vector<int> open_fds_;
  std::thread acceptor_;
};

}  // namespace mr::k8s::testing
