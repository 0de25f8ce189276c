#include "loopback_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <sstream>

namespace mr::k8s::testing {
namespace {

std::string urlDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

const char* reasonPhrase(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    default:
      return "Status";
  }
}

}  // namespace

std::string HttpRequest::param(const std::string& name) const {
  std::stringstream in(query);
  for (std::string pair; std::getline(in, pair, '&');) {
    const size_t eq = pair.find('=');
    if (urlDecode(pair.substr(0, eq)) == name) {
      return eq == std::string::npos ? "" : urlDecode(pair.substr(eq + 1));
    }
  }
  return "";
}

bool HttpConnection::sendAll(const std::string& data) {
  if (dropped_) return false;
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

void HttpConnection::respond(int code, const std::string& body, const std::string& content_type) {
  sendAll("HTTP/1.1 " + std::to_string(code) + " " + reasonPhrase(code) + "\r\nContent-Type: " +
          content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
}

void HttpConnection::startChunked(int code) {
  sendAll("HTTP/1.1 " + std::to_string(code) + " " + reasonPhrase(code) +
          "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
}

void HttpConnection::chunk(const std::string& data) {
  std::ostringstream size;
  size << std::hex << data.size();
  sendAll(size.str() + "\r\n" + data + "\r\n");
}

void HttpConnection::endChunked() {
  sendAll("0\r\n\r\n");
}

void HttpConnection::drop() {
  if (dropped_) return;
  dropped_ = true;
  ::shutdown(fd_, SHUT_RDWR);
}

LoopbackServer::LoopbackServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // ephemeral: parallel test runs never collide
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 128);  // tests open up to 80 at once
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

LoopbackServer::~LoopbackServer() {
  stopping_ = true;
  acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_)
      ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : threads_)
    t.join();
  ::close(listen_fd_);
}

std::vector<HttpRequest> LoopbackServer::requests() {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t LoopbackServer::connections() {
  std::lock_guard lock(mu_);
  return open_fds_.size();
}

void LoopbackServer::acceptLoop() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 20) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard lock(mu_);
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void LoopbackServer::serve(int fd) {
  std::string buffer;
  char chunk[4096];
  HttpConnection conn(fd);
  while (!stopping_ && !conn.dropped()) {
    size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0) {
        if (stopping_) break;
        continue;
      }
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
    }
    if (header_end == std::string::npos) break;
    HttpRequest req;
    std::istringstream head(buffer.substr(0, header_end));
    std::string line, target;
    std::getline(head, line);
    std::istringstream(line) >> req.method >> target;
    const size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      req.headers[name] = value;
    }
    buffer.erase(0, header_end + 4);
    const size_t length =
        req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
    while (buffer.size() < length) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
    }
    req.body = buffer.substr(0, length);
    buffer.erase(0, length);
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
    }
    handler_(req, conn);
  }
  ::close(fd);
}

}  // namespace mr::k8s::testing
