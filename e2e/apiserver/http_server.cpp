#include "http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/clock.h"

namespace mr::apiserver {
namespace {

const char* reasonPhrase(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

// A byte stream over a socket, optionally wrapped in TLS.
class Connection {
 public:
  Connection(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~Connection() {
    if (ssl_) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    ::close(fd_);
  }
  // Returns bytes read, 0 on EOF, <0 on error.
  long readSome(char* buf, size_t n) {
    if (ssl_) return SSL_read(ssl_, buf, static_cast<int>(n));
    return ::recv(fd_, buf, n, 0);
  }
  bool writeAll(const char* data, size_t n) {
    while (n > 0) {
      long w =
          ssl_ ? SSL_write(ssl_, data, static_cast<int>(n)) : ::send(fd_, data, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      data += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }
  bool hasBuffered() const { return ssl_ && SSL_pending(ssl_) > 0; }
  int fd() const { return fd_; }

 private:
  int fd_;
  SSL* ssl_;
};

// Reads requests from a connection with a carry-over buffer (keep-alive).
class RequestReader {
 public:
  explicit RequestReader(Connection& c) : conn_(c) {}

  // Returns false on EOF or a malformed request.
  bool next(HttpRequest& req) {
    size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (buf_.size() > 1 << 20 || !fill()) return false;
    }
    std::string head = buf_.substr(0, header_end);
    buf_.erase(0, header_end + 4);
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    size_t sp1 = request_line.find(' ');
    size_t sp2 = request_line.rfind(' ');
    if (sp1 == std::string::npos || sp2 <= sp1) return false;
    req.method = request_line.substr(0, sp1);
    std::string target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t q = target.find('?');
    req.path = urlDecode(target.substr(0, q), false);
    if (q != std::string::npos) parseQueryString(target.substr(q + 1), req.query);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string line = head.substr(pos, e - pos);
      pos = e + 2;
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      size_t v = line.find_first_not_of(" \t", colon + 1);
      req.headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    if (req.header("transfer-encoding").find("chunked") != std::string::npos) {
      return readChunkedBody(req.body);
    }
    size_t len = static_cast<size_t>(std::atol(req.header("content-length").c_str()));
    while (buf_.size() < len) {
      if (!fill()) return false;
    }
    req.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return true;
  }

 private:
  bool fill() {
    char tmp[16384];
    long n = conn_.readSome(tmp, sizeof(tmp));
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  bool readLine(std::string& line) {
    size_t e;
    while ((e = buf_.find("\r\n")) == std::string::npos) {
      if (!fill()) return false;
    }
    line = buf_.substr(0, e);
    buf_.erase(0, e + 2);
    return true;
  }
  bool readChunkedBody(std::string& body) {
    for (;;) {
      std::string line;
      if (!readLine(line)) return false;
      size_t n = std::strtoul(line.c_str(), nullptr, 16);
      if (n == 0) {
        std::string trailer;
        do {
          if (!readLine(trailer)) return false;
        } while (!trailer.empty());
        return true;
      }
      while (buf_.size() < n + 2) {
        if (!fill()) return false;
      }
      body.append(buf_, 0, n);
      buf_.erase(0, n + 2);
    }
  }

  Connection& conn_;
  std::string buf_;
};

class ConnectionWriter final : public ResponseWriter {
 public:
  explicit ConnectionWriter(Connection& c) : conn_(c) {}

  void send(int code, const std::string& content_type, const std::string& body,
            const std::vector<std::pair<std::string, std::string>>& headers) override {
    std::string head = statusLine(code);
    head += "Content-Type: " + content_type + "\r\n";
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    for (const auto& [k, v] : headers)
      head += k + ": " + v + "\r\n";
    head += "\r\n";
    done_ = true;
    ok_ = conn_.writeAll(head.data(), head.size()) && conn_.writeAll(body.data(), body.size());
  }
  bool startStream(int code, const std::string& content_type) override {
    std::string head = statusLine(code);
    head += "Content-Type: " + content_type + "\r\nTransfer-Encoding: chunked\r\n\r\n";
    streaming_ = true;
    ok_ = conn_.writeAll(head.data(), head.size());
    return ok_;
  }
  bool writeChunk(const std::string& data) override {
    if (!ok_ || data.empty()) return ok_;
    char size[32];
    int n = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
    std::string frame(size, static_cast<size_t>(n));
    frame += data;
    frame += "\r\n";
    ok_ = conn_.writeAll(frame.data(), frame.size());
    return ok_;
  }
  void endStream() override {
    done_ = true;
    if (ok_) ok_ = conn_.writeAll("0\r\n\r\n", 5);
  }
  void abort() override {
    done_ = true;
    ok_ = false;
    ::shutdown(conn_.fd(), SHUT_RDWR);
  }
  bool peerClosed() override {
    if (conn_.hasBuffered()) return true;
    pollfd p{conn_.fd(), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    // A client never sends on a connection that awaits a streamed response, so any readable
    // byte (EOF, TLS close_notify) means it is gone.
    return true;
  }
  bool reusable() const { return ok_ && done_; }

 private:
  static std::string statusLine(int code) {
    return "HTTP/1.1 " + std::to_string(code) + " " + reasonPhrase(code) + "\r\n";
  }
  Connection& conn_;
  bool streaming_ = false;
  bool done_ = false;
  bool ok_ = true;
};

}  // namespace

std::string HttpRequest::param(const std::string& name, const std::string& fallback) const {
  auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

std::string HttpRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

std::string urlDecode(const std::string& s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(s[i + 1]) && std::isxdigit(s[i + 2])) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

void parseQueryString(const std::string& qs, std::multimap<std::string, std::string>& out) {
  size_t pos = 0;
  while (pos <= qs.size()) {
    size_t amp = qs.find('&', pos);
    if (amp == std::string::npos) amp = qs.size();
    std::string kv = qs.substr(pos, amp - pos);
    if (!kv.empty()) {
      size_t eq = kv.find('=');
      std::string k = urlDecode(kv.substr(0, eq), true);
      std::string v = eq == std::string::npos ? "" : urlDecode(kv.substr(eq + 1), true);
      out.emplace(k, v);
    }
    pos = amp + 1;
  }
}

HttpServer::HttpServer(HttpHandler handler, SSL_CTX* ssl_ctx)
    : handler_(std::move(handler)), ssl_ctx_(ssl_ctx) {}

HttpServer::~HttpServer() {
  stop();
}

Status HttpServer::start(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return invalidArgument("--listen wants host:port: " + listen);
  std::string host = listen.substr(0, colon);
  int port = std::atoi(listen.c_str() + colon + 1);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) return unavailable("socket: " + std::string(std::strerror(errno)));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return invalidArgument("--listen host must be an IPv4 address: " + host);
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return unavailable("bind " + listen + ": " + std::strerror(errno));
  }
  if (::listen(listen_fd_, 512) != 0)
    return unavailable("listen: " + std::string(std::strerror(errno)));
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { acceptLoop(); });
  return Status::ok();
}

void HttpServer::stop(std::chrono::milliseconds drain) {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  const RealClock& clock = RealClock::instance();
  SteadyTime deadline = clock.steadyNow() + drain;
  while (active_ > 0 && clock.steadyNow() < deadline)
    clock.sleepFor(Millis(10));
}

void HttpServer::acceptLoop() {
  while (!stopping_) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // Connection threads are detached: the process exits without joining long watches.
    std::thread([this, fd] { serveConnection(fd); }).detach();
  }
}

void HttpServer::serveConnection(int fd) {
  ++active_;
  struct Leave {
    std::atomic<int>& n;
    ~Leave() { --n; }
  } leave{active_};
  SSL* ssl = nullptr;
  if (ssl_ctx_) {
    ssl = SSL_new(ssl_ctx_);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) <= 0) {
      spdlog::debug("TLS handshake failed: {}", ERR_error_string(ERR_get_error(), nullptr));
      SSL_free(ssl);
      ::close(fd);
      return;
    }
  }
  Connection conn(fd, ssl);
  RequestReader reader(conn);
  for (;;) {
    HttpRequest req;
    if (!reader.next(req)) return;
    ConnectionWriter writer(conn);
    try {
      handler_(req, writer);
    } catch (const std::exception& e) {
      spdlog::error("handler threw on {} {}: {}", req.method, req.path, e.what());
      if (!writer.reusable()) return;
    }
    if (!writer.reusable() || req.header("connection") == "close") return;
  }
}

}  // namespace mr::apiserver
