// Test support for the integration tests: temp dirs, free ports, child processes and a tiny
// scriptable HTTP/1.1 server (one response per connection, then close).
// Thread-safety: FakeHttpServer's handler runs on its accept thread; the rest is single-threaded.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mr::analysis::testing {

// mkdtemp under $TMPDIR; removed (recursively) by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A port that was free a moment ago (bind 127.0.0.1:0, read it, close).
int freePort();

void writeFile(const std::string& path, const std::string& content);
std::string readFile(const std::string& path);

// Runs argv[0] with stdout+stderr appended to `log`. Killed (SIGTERM, then SIGKILL) on
// destruction or stop().
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log);
  ~ChildProcess() { stop(); }
  bool started() const { return pid_ > 0; }
  void stop();

 private:
  pid_t pid_ = -1;
};

// Runs a command to completion; returns its exit code (-1 if it could not start).
int runCommand(const std::vector<std::string>& argv, const std::string& log);

struct HttpRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  int delay_ms = 0;            // before writing the reply (interrupted by stop())
  bool content_length = true;  // false: the body ends when the connection closes
};

class FakeHttpServer {
 public:
  using Handler = std::function<HttpReply(const HttpRequest&)>;
  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();
  int port() const { return port_; }
  std::string address() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<HttpRequest> requests() const;

 private:
  void serve();
  void handle(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HttpRequest> requests_;
  std::thread thread_;
};

}  // namespace mr::analysis::testing
