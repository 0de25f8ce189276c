#include "test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "common/clock.h"

namespace mr::apiserver::testing {

TestClient::TestClient(int port) : port_(port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    throw std::runtime_error("connect failed");
}

TestClient::~TestClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool TestClient::fill(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  char tmp[65536];
  long n = ::recv(fd_, tmp, sizeof(tmp), 0);
  if (n <= 0) {
    ended_ = true;
    return false;
  }
  buf_.append(tmp, static_cast<size_t>(n));
  return true;
}

bool TestClient::readLine(std::string& line, int timeout_ms) {
  size_t e;
  while ((e = buf_.find("\r\n")) == std::string::npos) {
    if (!fill(timeout_ms)) return false;
  }
  line = buf_.substr(0, e);
  buf_.erase(0, e + 2);
  return true;
}

HttpResult TestClient::request(const std::string& method, const std::string& path,
                               const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n";
  bool has_ct = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (k == "Content-Type") has_ct = true;
  }
  if (!has_ct && !body.empty()) req += "Content-Type: application/json\r\n";
  req += "\r\n" + body;
  ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  HttpResult r;
  std::string line;
  if (!readLine(line, 10000)) return r;
  r.code = std::atoi(line.substr(9, 3).c_str());
  while (readLine(line, 10000) && !line.empty()) {
    size_t c = line.find(':');
    std::string k = line.substr(0, c);
    std::transform(k.begin(), k.end(), k.begin(), ::tolower);
    r.headers[k] = line.substr(c + 2);
  }
  size_t len = static_cast<size_t>(std::atol(r.headers["content-length"].c_str()));
  while (buf_.size() < len && fill(10000)) {
  }
  r.body = buf_.substr(0, len);
  buf_.erase(0, len);
  return r;
}

int TestClient::startWatch(const std::string& path,
                           const std::map<std::string, std::string>& headers) {
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers)
    req += k + ": " + v + "\r\n";
  req += "\r\n";
  ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  std::string line;
  if (!readLine(line, 10000)) return 0;
  int code = std::atoi(line.substr(9, 3).c_str());
  while (readLine(line, 10000) && !line.empty()) {
  }
  return code;
}

nlohmann::json TestClient::readEvent(int timeout_ms) {
  for (;;) {
    size_t nl = chunk_data_.find('\n');
    if (nl != std::string::npos) {
      std::string ev = chunk_data_.substr(0, nl);
      chunk_data_.erase(0, nl + 1);
      return nlohmann::json::parse(ev, nullptr, false);
    }
    std::string size_line;
    if (!readLine(size_line, timeout_ms)) return nullptr;
    size_t n = std::strtoul(size_line.c_str(), nullptr, 16);
    if (n == 0) {
      ended_ = true;
      return nullptr;
    }
    while (buf_.size() < n + 2) {
      if (!fill(timeout_ms)) return nullptr;
    }
    chunk_data_ += buf_.substr(0, n);
    buf_.erase(0, n + 2);
  }
}

ServerFixture::ServerFixture(ApiServerOptions opts) {
  api_ = std::make_unique<ApiServer>(opts, RealClock::instance());
  http_ = std::make_unique<HttpServer>(
      [this](const HttpRequest& r, ResponseWriter& w) { api_->handle(r, w); }, nullptr);
  if (!http_->start("127.0.0.1:0").isOk()) throw std::runtime_error("server start failed");
}

ServerFixture::~ServerFixture() {
  http_->stop();
}

}  // namespace mr::apiserver::testing
