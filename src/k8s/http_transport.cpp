#include "k8s/http_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <mutex>

namespace mr::k8s {

using std::chrono::milliseconds;
using Deadline = std::chrono::steady_clock::time_point;

namespace {

constexpr size_t kMaxHeadBytes = 1 << 20;
constexpr milliseconds kCancelPoll{100};
constexpr std::chrono::seconds kMaxIdleAge{90};  // Go's http.Transport IdleConnTimeout

Deadline now() {
  return std::chrono::steady_clock::now();
}

std::string openSslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

bool isIpLiteral(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Why a wait ended.
enum class Wait { kReady, kTimeout, kCancelled, kError };

// Waits for `events` on `fd` until `deadline`, waking every 100 ms to look at `cancel`.
Wait waitFd(int fd, short events, Deadline deadline, const CancelToken* cancel) {
  for (;;) {
    if (cancel && cancel->cancelled) return Wait::kCancelled;
    const auto left = std::chrono::ceil<milliseconds>(deadline - now());
    if (left.count() <= 0) return Wait::kTimeout;
    const milliseconds slice = cancel ? std::min(left, kCancelPoll) : left;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(slice.count(), INT_MAX)));
    if (r > 0) return Wait::kReady;
    if (r < 0 && errno != EINTR) return Wait::kError;
  }
}

Status waitStatus(Wait w, const std::string& what) {
  switch (w) {
    case Wait::kTimeout:
      return deadlineExceeded(what + ": timed out");
    case Wait::kCancelled:
      return unavailable(what + ": cancelled");
    case Wait::kError:
      return unavailable(what + ": poll: " + std::strerror(errno));
    case Wait::kReady:
      break;
  }
  return Status::ok();
}

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

// Adds every PEM certificate in `pem` to `store`; returns how many.
int addCertificates(X509_STORE* store, const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) ++count;
    X509_free(cert);
  }
  ERR_clear_error();
  BIO_free(bio);
  return count;
}

Status useClientCertificate(SSL_CTX* ctx, const std::string& cert_pem, const std::string& key_pem) {
  BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  bool ok = leaf != nullptr && SSL_CTX_use_certificate(ctx, leaf) == 1;
  X509_free(leaf);
  while (ok) {  // the rest of the chain
    X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (!extra) break;
    if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      ok = false;
    }
  }
  BIO_free(bio);
  ERR_clear_error();
  if (!ok) return invalidArgument("client certificate data holds no usable PEM certificate");
  bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ok = key != nullptr && SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx);
  EVP_PKEY_free(key);
  if (!ok)
    return invalidArgument("client key data holds no PEM private key matching the certificate");
  return Status::ok();
}

}  // namespace

struct HttpTransport::Endpoint {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string authority;    // Host header
  std::string path_prefix;  // from the server URL, without a trailing slash
  std::string verify_name;
  bool verify = true;
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx;
};

// One TCP (optionally TLS) connection with a read buffer. Not thread-safe; owned by one
// request at a time.
class HttpConnection {
 public:
  HttpConnection(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~HttpConnection() {
    if (ssl_) SSL_free(ssl_);
    ::close(fd_);
  }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  int fd() const { return fd_; }
  bool reused = false;
  Deadline idle_since{};

  Status writeAll(std::string_view data, Deadline deadline, const CancelToken* cancel) {
    while (!data.empty()) {
      ssize_t n;
      short want = POLLOUT;
      if (ssl_) {
        ERR_clear_error();
        const int r = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
        n = r;
        if (r <= 0) {
          const int e = SSL_get_error(ssl_, r);
          if (e == SSL_ERROR_WANT_READ) {
            want = POLLIN;
          } else if (e != SSL_ERROR_WANT_WRITE) {
            return unavailable("TLS write: " + openSslError());
          }
        }
      } else {
        n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          return unavailable(std::string("write: ") + std::strerror(errno));
        }
      }
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (Status s = waitStatus(waitFd(fd_, want, deadline, cancel), "write"); !s.isOk()) {
        return s;
      }
    }
    return Status::ok();
  }

  // Reads what is available (waiting until `deadline` for at least one byte) into the buffer.
  // Returns false at end of stream.
  Result<bool> fill(Deadline deadline, const CancelToken* cancel) {
    if (pos_ > 0 && pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    } else if (pos_ > 65536 && pos_ * 2 > buf_.size()) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    char chunk[16384];
    for (;;) {
      ssize_t n;
      short want = POLLIN;
      if (ssl_) {
        ERR_clear_error();
        const int r = SSL_read(ssl_, chunk, sizeof chunk);
        n = r;
        if (r <= 0) {
          const int e = SSL_get_error(ssl_, r);
          if (e == SSL_ERROR_ZERO_RETURN) return false;
          if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return false;  // EOF, no notify
          if (e == SSL_ERROR_WANT_WRITE) {
            want = POLLOUT;
          } else if (e != SSL_ERROR_WANT_READ) {
            return unavailable("TLS read: " + openSslError());
          }
        }
      } else {
        n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n == 0) return false;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          return unavailable(std::string("read: ") + std::strerror(errno));
        }
      }
      if (n > 0) {
        buf_.append(chunk, static_cast<size_t>(n));
        received_ += static_cast<size_t>(n);
        return true;
      }
      if (Status s = waitStatus(waitFd(fd_, want, deadline, cancel), "read"); !s.isOk()) {
        return s;
      }
    }
  }

  std::string_view available() const { return std::string_view(buf_).substr(pos_); }
  void consume(size_t n) { pos_ += n; }
  size_t received() const { return received_; }

  // Reads up to and including CRLF; returns the line without it.
  Result<std::string> readLine(Deadline deadline, const CancelToken* cancel) {
    for (;;) {
      const size_t eol = buf_.find("\r\n", pos_);
      if (eol != std::string::npos) {
        std::string line = buf_.substr(pos_, eol - pos_);
        pos_ = eol + 2;
        return line;
      }
      if (buf_.size() - pos_ > kMaxHeadBytes) return unavailable("response line too long");
      auto more = fill(deadline, cancel);
      if (!more.isOk()) return more.status();
      if (!*more) return unavailable("connection closed mid-response");
    }
  }

  // Called before the connection waits in the pool: a large response's buffer is released.
  void release() {
    if (pos_ == buf_.size() && buf_.capacity() > 65536) {
      std::string().swap(buf_);
      pos_ = 0;
    }
  }

  // True when an idle connection has data or a close pending (so it must not be reused).
  bool closedWhileIdle() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;
  }

 private:
  int fd_;
  SSL* ssl_;
  std::string buf_;
  size_t pos_ = 0;
  size_t received_ = 0;
};

namespace {

struct ResponseHead {
  int code = 0;
  bool chunked = false;
  long long content_length = -1;
  bool keep_alive = true;
};

Result<ResponseHead> readHead(HttpConnection& c, Deadline deadline, const CancelToken* cancel) {
  for (;;) {  // skips 1xx interim responses
    auto status_line = c.readLine(deadline, cancel);
    if (!status_line.isOk()) return status_line.status();
    ResponseHead head;
    const std::string& line = *status_line;
    if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) {
      return unavailable("malformed HTTP status line '" + line.substr(0, 64) + "'");
    }
    head.keep_alive = line.compare(0, 8, "HTTP/1.1") == 0;
    head.code = std::atoi(line.c_str() + 9);
    if (head.code < 100 || head.code > 999) return unavailable("malformed HTTP status code");
    for (;;) {
      auto header = c.readLine(deadline, cancel);
      if (!header.isOk()) return header.status();
      if (header->empty()) break;
      const size_t colon = header->find(':');
      if (colon == std::string::npos) continue;
      const std::string name = lower(header->substr(0, colon));
      std::string value = header->substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      value.erase(value.find_last_not_of(" \t") + 1);
      if (name == "content-length") {
        char* end = nullptr;
        head.content_length = std::strtoll(value.c_str(), &end, 10);
        if (end == value.c_str() || head.content_length < 0) {
          return unavailable("malformed Content-Length");
        }
      } else if (name == "transfer-encoding") {
        head.chunked = lower(value).find("chunked") != std::string::npos;
      } else if (name == "connection") {
        const std::string v = lower(value);
        if (v.find("close") != std::string::npos) head.keep_alive = false;
        if (v.find("keep-alive") != std::string::npos) head.keep_alive = true;
      }
    }
    if (head.code >= 200) return head;
  }
}

// Reads the body as framed by `head`, handing each piece to `sink` as it arrives. `deadline`
// is re-read after every piece when `idle` is set (an idle timeout), so streams can be long.
// Returns whether the body ended cleanly with the connection reusable.
Result<bool> readBody(HttpConnection& c, const std::string& method, ResponseHead& head,
                      Deadline deadline, std::optional<milliseconds> idle,
                      const CancelToken* cancel,
                      const std::function<bool(std::string_view)>& sink) {
  if (method == "HEAD" || head.code == 204 || head.code == 304) return head.keep_alive;
  auto refresh = [&] {
    if (idle) deadline = now() + *idle;
  };
  // Delivers up to `limit` buffered-or-fresh bytes (at least one); false = stop requested.
  auto pump = [&](size_t limit, bool eof_ok) -> Result<std::optional<size_t>> {
    if (c.available().empty()) {
      auto more = c.fill(deadline, cancel);
      if (!more.isOk()) return more.status();
      if (!*more) {
        if (eof_ok) return std::optional<size_t>(0);
        return unavailable("connection closed mid-body");
      }
      refresh();
    }
    const std::string_view piece = c.available().substr(0, limit);
    c.consume(piece.size());
    if (!sink(piece)) return std::optional<size_t>();
    return std::optional<size_t>(piece.size());
  };
  if (head.chunked) {
    for (;;) {
      auto size_line = c.readLine(deadline, cancel);
      if (!size_line.isOk()) return size_line.status();
      refresh();
      char* end = nullptr;
      const unsigned long long size = std::strtoull(size_line->c_str(), &end, 16);
      if (end == size_line->c_str()) return unavailable("malformed chunk size");
      if (size == 0) {
        for (;;) {  // trailers
          auto trailer = c.readLine(deadline, cancel);
          if (!trailer.isOk()) return trailer.status();
          if (trailer->empty()) return head.keep_alive;
        }
      }
      for (unsigned long long left = size; left > 0;) {
        auto got = pump(static_cast<size_t>(std::min<unsigned long long>(left, SIZE_MAX)), false);
        if (!got.isOk()) return got.status();
        if (!*got) return false;
        left -= **got;
      }
      auto crlf = c.readLine(deadline, cancel);
      if (!crlf.isOk()) return crlf.status();
      if (!crlf->empty()) return unavailable("malformed chunk terminator");
    }
  }
  if (head.content_length >= 0) {
    for (auto left = static_cast<unsigned long long>(head.content_length); left > 0;) {
      auto got = pump(static_cast<size_t>(left), false);
      if (!got.isOk()) return got.status();
      if (!*got) return false;
      left -= **got;
    }
    return head.keep_alive;
  }
  for (;;) {  // no framing: the body ends when the server closes
    auto got = pump(SIZE_MAX, true);
    if (!got.isOk()) return got.status();
    if (!*got || **got == 0) return false;
  }
}

}  // namespace

HttpTransport::HttpTransport(std::unique_ptr<Endpoint> endpoint, HttpTransportOptions options)
    : endpoint_(std::move(endpoint)), options_(options) {}

HttpTransport::~HttpTransport() = default;

Result<std::unique_ptr<HttpTransport>> HttpTransport::create(const ClusterConfig& config,
                                                             HttpTransportOptions options) {
  // OpenSSL writes to the socket with write(), which raises SIGPIPE when the server has reset
  // the connection; the default action would kill the process. Every write checks its result,
  // so the signal is ignored (unless the program installed its own handler).
  static std::once_flag sigpipe_once;
  std::call_once(sigpipe_once, [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      std::signal(SIGPIPE, SIG_IGN);
    }
  });
  auto ep = std::make_unique<Endpoint>();
  std::string rest;
  if (config.server.rfind("https://", 0) == 0) {
    ep->tls = true;
    rest = config.server.substr(8);
  } else if (config.server.rfind("http://", 0) == 0) {
    rest = config.server.substr(7);
  } else {
    return invalidArgument("server must be an http(s) URL, got '" + config.server + "'");
  }
  const size_t slash = rest.find('/');
  if (slash != std::string::npos) {  // a path prefix (API servers behind a proxy)
    ep->path_prefix = rest.substr(slash);
    while (!ep->path_prefix.empty() && ep->path_prefix.back() == '/')
      ep->path_prefix.pop_back();
    rest.resize(slash);
  }
  ep->authority = rest;
  std::string port;
  if (!rest.empty() && rest[0] == '[') {  // [v6]:port
    const size_t close = rest.find(']');
    if (close == std::string::npos) return invalidArgument("bad IPv6 server address " + rest);
    ep->host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else {
    const size_t colon = rest.rfind(':');
    ep->host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  if (ep->host.empty()) return invalidArgument("server URL has no host: " + config.server);
  ep->port = port.empty() ? (ep->tls ? "443" : "80") : port;
  // The TLS context is also built for http:// when PEM material is given, so a bad certificate
  // fails at startup whatever the URL; it is dropped again below.
  const bool has_pem = !config.ca_pem.empty() || !config.client_certificate_pem.empty();
  if (ep->tls || has_pem) {
    ep->ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (!ep->ctx) return internalError("SSL_CTX_new: " + openSslError());
    SSL_CTX* ctx = ep->ctx.get();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
    ep->verify = !config.insecure_skip_tls_verify;
    if (!config.ca_pem.empty()) {
      X509_STORE* store = X509_STORE_new();
      SSL_CTX_set_cert_store(ctx, store);  // trust exactly the configured CA
      if (addCertificates(store, config.ca_pem) == 0) {
        return invalidArgument("certificate authority data holds no PEM certificate");
      }
    } else if (ep->tls) {
      SSL_CTX_set_default_verify_paths(ctx);  // loads the system bundle: only when used
    }
    if (!config.client_certificate_pem.empty()) {
      if (Status s =
              useClientCertificate(ctx, config.client_certificate_pem, config.client_key_pem);
          !s.isOk()) {
        return s;
      }
    }
    SSL_CTX_set_verify(ctx, ep->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    ep->verify_name = config.tls_server_name.empty() ? ep->host : config.tls_server_name;
    if (!ep->tls) ep->ctx.reset();
  }
  return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(ep), options));
}

Result<std::unique_ptr<HttpConnection>> HttpTransport::connect(Deadline deadline) const {
  const Endpoint& ep = *endpoint_;
  const std::string what = "connect " + ep.authority;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addrs = nullptr;
  if (const int rc = ::getaddrinfo(ep.host.c_str(), ep.port.c_str(), &hints, &addrs); rc != 0) {
    return unavailable(what + ": " + gai_strerror(rc));
  }
  Status last = unavailable(what + ": no address");
  int fd = -1;
  for (addrinfo* a = addrs; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last = unavailable(what + ": socket: " + std::strerror(errno));
      continue;
    }
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
      const Wait w =
          waitFd(fd, POLLOUT, std::min(deadline, now() + options_.connect_timeout), nullptr);
      int err = 0;
      socklen_t len = sizeof err;
      if (w != Wait::kReady) {
        last = w == Wait::kTimeout ? deadlineExceeded(what + ": timed out")
                                   : unavailable(what + ": poll failed");
        err = -1;
      } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        last = unavailable(what + ": " + std::strerror(err != 0 ? err : errno));
        err = -1;
      }
      rc = err == 0 ? 0 : -1;
    } else if (rc < 0) {
      last = unavailable(what + ": " + std::strerror(errno));
    }
    if (rc < 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(addrs);
  if (fd < 0) return last;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!ep.tls) return std::make_unique<HttpConnection>(fd, nullptr);

  SSL* ssl = SSL_new(ep.ctx.get());
  if (!ssl) {
    ::close(fd);
    return internalError("SSL_new: " + openSslError());
  }
  auto conn = std::make_unique<HttpConnection>(fd, ssl);  // owns fd and ssl from here
  SSL_set_fd(ssl, fd);
  const bool ip = isIpLiteral(ep.verify_name);
  if (!ip) SSL_set_tlsext_host_name(ssl, ep.verify_name.c_str());
  if (ep.verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, ep.verify_name.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, ep.verify_name.c_str(), 0);
    if (ok != 1) return invalidArgument(what + ": bad TLS server name " + ep.verify_name);
  }
  for (;;) {
    ERR_clear_error();
    const int r = SSL_connect(ssl);
    if (r == 1) break;
    const int e = SSL_get_error(ssl, r);
    short want;
    if (e == SSL_ERROR_WANT_READ) {
      want = POLLIN;
    } else if (e == SSL_ERROR_WANT_WRITE) {
      want = POLLOUT;
    } else {
      const long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) {
        return unavailable(what + ": TLS certificate verification failed: " +
                           X509_verify_cert_error_string(verify));
      }
      return unavailable(what + ": TLS handshake: " + openSslError());
    }
    if (Status s = waitStatus(waitFd(fd, want, deadline, nullptr), what + ": TLS handshake");
        !s.isOk()) {
      return s;
    }
  }
  return conn;
}

std::unique_ptr<HttpConnection> HttpTransport::takeIdle() {
  std::lock_guard lock(mu_);
  while (!idle_.empty()) {
    std::unique_ptr<HttpConnection> c = std::move(idle_.back());
    idle_.pop_back();
    if (now() - c->idle_since < kMaxIdleAge && !c->closedWhileIdle()) {
      c->reused = true;
      return c;
    }
  }
  return nullptr;
}

void HttpTransport::putIdle(std::unique_ptr<HttpConnection> connection) {
  connection->idle_since = now();
  connection->release();
  std::lock_guard lock(mu_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(connection));
}

size_t HttpTransport::idleConnections() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

std::string HttpTransport::serialize(const HttpOutgoing& request) const {
  std::string out;
  out.reserve(256 + request.body.size());
  out.append(request.method)
      .append(" ")
      .append(endpoint_->path_prefix)
      .append(request.target)
      .append(" HTTP/1.1\r\nHost: ");
  out.append(endpoint_->authority).append("\r\n");
  for (const auto& [name, value] : request.headers) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!request.body.empty() || (request.method != "GET" && request.method != "DELETE")) {
    out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  out.append("\r\n").append(request.body);
  return out;
}

Result<HttpIncoming> HttpTransport::roundTrip(const HttpOutgoing& request, milliseconds timeout,
                                              const CancelToken* cancel) {
  const Deadline deadline = now() + timeout;
  const std::string wire = serialize(request);
  for (int attempt = 0;; ++attempt) {
    if (cancel && cancel->cancelled) return unavailable("request cancelled");
    std::unique_ptr<HttpConnection> c = attempt == 0 ? takeIdle() : nullptr;
    if (!c) {
      auto fresh = connect(deadline);
      if (!fresh.isOk()) return fresh.status();
      c = std::move(*fresh);
    }
    // A reused connection the server closed fails before any response byte: send it again.
    const bool may_retry = c->reused && attempt == 0;
    const size_t received_before = c->received();
    if (Status s = c->writeAll(wire, deadline, cancel); !s.isOk()) {
      if (may_retry && s.code() == StatusCode::kUnavailable) continue;
      return s;
    }
    auto head = readHead(*c, deadline, cancel);
    if (!head.isOk()) {
      if (may_retry && c->received() == received_before &&
          head.status().code() == StatusCode::kUnavailable) {
        continue;
      }
      return head.status();
    }
    HttpIncoming in;
    in.code = head->code;
    if (head->content_length > 0 && head->content_length < (64 << 20)) {
      in.body.reserve(static_cast<size_t>(head->content_length));
    }
    auto reusable = readBody(*c, request.method, *head, deadline, std::nullopt, cancel,
                             [&](std::string_view piece) {
                               in.body.append(piece);
                               return true;
                             });
    if (!reusable.isOk()) return reusable.status();
    if (*reusable) putIdle(std::move(c));
    return in;
  }
}

Status HttpTransport::stream(const HttpOutgoing& request, milliseconds idle_timeout,
                             const CancelToken& cancel,
                             const std::function<void(int, std::string)>& on_head,
                             const std::function<bool(std::string_view)>& on_data) {
  Deadline deadline = now() + idle_timeout;
  auto c = connect(std::min(deadline, now() + options_.connect_timeout));
  if (!c.isOk()) return c.status();
  HttpConnection& conn = **c;
  if (Status s = conn.writeAll(serialize(request), deadline, &cancel); !s.isOk()) {
    return cancel.cancelled ? Status::ok() : s;
  }
  auto head = readHead(conn, deadline, &cancel);
  if (!head.isOk()) return cancel.cancelled ? Status::ok() : head.status();
  if (head->code < 200 || head->code >= 300) {
    std::string body;
    auto done = readBody(conn, request.method, *head, deadline, std::nullopt, &cancel,
                         [&](std::string_view piece) {
                           body.append(piece);
                           return true;
                         });
    if (!done.isOk() && cancel.cancelled) return Status::ok();
    on_head(head->code, std::move(body));
    return Status::ok();
  }
  on_head(head->code, "");
  auto done =
      readBody(conn, request.method, *head, now() + idle_timeout, idle_timeout, &cancel, on_data);
  if (!done.isOk()) return cancel.cancelled ? Status::ok() : done.status();
  return Status::ok();
}

}  // namespace mr::k8s
