#include "controller/probe_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace mr::controller {
namespace {

const char* reasonPhrase(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

ProbeServer::~ProbeServer() {
  stop();
}

Status ProbeServer::start(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos)
    return invalidArgument("bind address needs host:port: " + address);
  std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* result = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &result);
      rc != 0) {
    return invalidArgument("bind address " + address + ": " + gai_strerror(rc));
  }
  // Prefer IPv4 for the wildcard so ":8080" works on hosts without IPv6.
  addrinfo* chosen = result;
  for (addrinfo* ai = result; ai; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      chosen = ai;
      break;
    }
  }
  listen_fd_ = ::socket(chosen->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (listen_fd_ < 0 || ::bind(listen_fd_, chosen->ai_addr, chosen->ai_addrlen) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    const std::string error = strerror(errno);
    freeaddrinfo(result);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    return unavailable("cannot listen on " + address + ": " + error);
  }
  freeaddrinfo(result);
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  thread_ = std::thread([this] { loop(); });
  return Status::ok();
}

void ProbeServer::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void ProbeServer::loop() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    serveOne(fd);
    ::close(fd);
  }
}

void ProbeServer::serveOne(int fd) {
  std::string request;
  char buffer[2048];
  // A slow or silent client must not wedge the probes: give it one second in total.
  for (int waited = 0; request.find("\r\n\r\n") == std::string::npos && waited < 10; ++waited) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    request.append(buffer, static_cast<size_t>(n));
    if (request.size() > 16384) return;
  }
  const size_t sp1 = request.find(' ');
  const size_t sp2 = request.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return;
  const std::string method = request.substr(0, sp1);
  std::string path = request.substr(sp1 + 1, sp2 - sp1 - 1);
  path = path.substr(0, path.find('?'));
  ProbeResponse response;
  auto handler = handlers_.find(path);
  if (handler == handlers_.end()) {
    response = {404, "404 page not found\n"};
  } else if (method != "GET" && method != "HEAD") {
    response = {405, "method not allowed\n"};
  } else {
    response = handler->second();
  }
  std::string out = "HTTP/1.1 " + std::to_string(response.code) + " " +
                    reasonPhrase(response.code) + "\r\nContent-Type: " + response.content_type +
                    "\r\nContent-Length: " + std::to_string(response.body.size()) +
                    "\r\nConnection: close\r\n\r\n";
  if (method != "HEAD") out += response.body;
  size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

}  // namespace mr::controller
