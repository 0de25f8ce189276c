// Fuzzes HttpTransport as a whole (since issue 15 libcurl parses the HTTP/1.1 response; what is
// ours is the glue: header and body caps, gzip decoding limits, the stream hand-off, status
// mapping) through its public API: an in-process loopback server answers each request with the
// fuzz input (after the first byte) and closes. The first byte picks roundTrip() (the API
// calls) or stream() (watches). Every outcome must be a value: a response or an error Status,
// within the deadline. One transport (one I/O thread) serves every input.
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "k8s/http_transport.h"

namespace {

class LoopbackServer {
 public:
  LoopbackServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len)) {
      abort();
    }
    port_ = ntohs(addr.sin_port);
    std::thread([this] { serve(); }).detach();  // lives as long as the fuzzing process
  }
  int port() const { return port_; }
  void setResponse(std::string response) {
    std::lock_guard lock(mu_);
    response_ = std::move(response);
  }

 private:
  void serve() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        pollfd p{c, POLLIN, 0};
        if (::poll(&p, 1, 1000) <= 0) break;
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      std::string response;
      {
        std::lock_guard lock(mu_);
        response = response_;
      }
      for (size_t off = 0; off < response.size();) {
        const ssize_t n = ::send(c, response.data() + off, response.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      ::shutdown(c, SHUT_WR);
      ::close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::mutex mu_;
  std::string response_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the code under test logs every rejected input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static LoopbackServer* server = new LoopbackServer();
  server->setResponse(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  static mr::k8s::HttpTransport* transport = [] {
    mr::k8s::ClusterConfig config;
    config.server = "http://127.0.0.1:" + std::to_string(server->port());
    mr::k8s::HttpTransportOptions options;
    options.max_body_bytes = 1 << 20;
    options.env = [](const std::string&) { return std::optional<std::string>(); };
    auto t = mr::k8s::HttpTransport::create(config, options);
    if (!t.isOk()) abort();
    return t->release();
  }();
  mr::k8s::HttpOutgoing request{"GET", "/api/v1/namespaces/x/pods", {}, ""};
  const std::chrono::milliseconds timeout(2000);
  if (data[0] & 1) {
    mr::k8s::CancelToken cancel;
    size_t received = 0;
    (void)transport
        ->stream(
            request, timeout, cancel, [&](int, std::string body) { received += body.size(); },
            [&](std::string_view piece) {
              received += piece.size();
              return true;
            });
  } else {
    auto response = transport->roundTrip(request, timeout);
    if (response.isOk()) (void)response->body.size();
  }
  return 0;
}
