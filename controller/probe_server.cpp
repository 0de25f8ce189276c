#include "controller/probe_server.h"

#include <arpa/inet.h>
#include <cpprest/http_listener.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "common/guarded_loop.h"
#include "common/logging.h"

namespace mr::controller {
namespace {
spdlog::logger& logger() {
  static const auto named = namedLogger("probe-server");
  return *named;
}
}  // namespace

namespace http = web::http;
using web::http::experimental::listener::http_listener;
using web::http::experimental::listener::http_listener_config;

struct ProbeServer::Listener {
  std::unique_ptr<http_listener> listener;
};

namespace {

// A free TCP port on `host` for an ephemeral bind (":0"): http_listener cannot report the port
// it bound, so one is chosen here and handed to it (another process could take it in between;
// only tests bind port 0).
Result<int> freePort(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* result = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), "0", &hints, &result); rc != 0) {
    return invalidArgument("bind address " + host + ": " + gai_strerror(rc));
  }
  const int fd = ::socket(result->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int port = -1;
  if (fd >= 0 && ::bind(fd, result->ai_addr, result->ai_addrlen) == 0) {
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
      port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }
  }
  const std::string error = strerror(errno);
  if (fd >= 0) ::close(fd);
  freeaddrinfo(result);
  if (port <= 0) return unavailable("cannot find a free port on " + host + ": " + error);
  return port;
}

}  // namespace

ProbeServer::ProbeServer(std::chrono::seconds io_timeout) : io_timeout_(io_timeout) {}

ProbeServer::~ProbeServer() {
  stop();
}

ProbeResponse ProbeServer::respond(const std::string& method, const std::string& path) const {
  auto handler = handlers_.find(path);
  if (handler == handlers_.end()) return {404, "404 page not found\n"};
  if (method != http::methods::GET && method != http::methods::HEAD) {
    return {405, "method not allowed\n"};
  }
  try {
    return handler->second();
  } catch (...) {  // the handler threads' top-level handler: a 500, never a dead process
    logger().error("probe {}: handler threw: {}", path, currentExceptionMessage());
    return {500, "internal error\n"};
  }
}

Status ProbeServer::start(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return invalidArgument("bind address needs host:port: " + address);
  }
  std::string host = address.substr(0, colon);
  const std::string port_text = address.substr(colon + 1);
  if (port_text.empty() || port_text.find_first_not_of("0123456789") != std::string::npos ||
      port_text.size() > 5 || std::stoi(port_text) > 65535) {
    return invalidArgument("bind address " + address + ": bad port");
  }
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  const std::string bare_host = bracketed ? host.substr(1, host.size() - 2) : host;
  int port = std::stoi(port_text);
  if (port == 0) {
    auto free = freePort(bare_host.empty() ? "0.0.0.0" : bare_host);
    if (!free.isOk()) return free.status();
    port = *free;
  }
  // ":8080" is every IPv4 interface, as before; an IPv6 literal keeps its brackets in the URI.
  const std::string uri_host = bare_host.empty()                          ? "0.0.0.0"
                               : bare_host.find(':') != std::string::npos ? "[" + bare_host + "]"
                                                                          : bare_host;
  http_listener_config config;
  config.set_timeout(utility::seconds(io_timeout_.count()));
  auto listener = std::make_unique<Listener>();
  try {
    listener->listener = std::make_unique<http_listener>(
        web::uri("http://" + uri_host + ":" + std::to_string(port) + "/"), config);
    listener->listener->support([this](http::http_request request) {
      const std::string path = request.relative_uri().path();
      const std::string method = request.method();
      const ProbeResponse response = respond(method, path.empty() ? "/" : path);
      http::http_response reply(static_cast<http::status_code>(response.code));
      if (method != http::methods::HEAD) {
        // Bytes, not set_body(std::string): that overload reads a char container through an
        // unsigned-char stream, which UBSan's vptr check reports (seen in make test-sanitize).
        reply.headers().set_content_type(response.content_type);
        reply.set_body(std::vector<unsigned char>(response.body.begin(), response.body.end()));
      }
      request.reply(reply).then([](pplx::task<void> sent) {
        try {
          sent.get();  // a client that went away: nothing to do
        } catch (...) {
        }
      });
    });
    listener->listener->open().wait();
  } catch (const std::exception& e) {
    return unavailable("cannot listen on " + address + ": " + e.what());
  }
  listener_ = std::move(listener);
  port_ = port;
  return Status::ok();
}

void ProbeServer::stop() {
  if (!listener_) return;
  try {
    listener_->listener->close().wait();
  } catch (const std::exception& e) {
    logger().warn("probe server: close: {}", e.what());
  }
  listener_.reset();
}

}  // namespace mr::controller
