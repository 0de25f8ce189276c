// Test helpers for the API server integration tests: a minimal blocking HTTP/1.1 client
// (plain sockets, Content-Length and chunked responses, a line reader for watch streams) and
// an in-process server fixture on an ephemeral port.
// Thread-safety: one client per thread.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api_server.h"
#include "http_server.h"

namespace mr::apiserver::testing {

struct HttpResult {
  int code = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

class TestClient {
 public:
  explicit TestClient(int port);
  ~TestClient();
  HttpResult request(const std::string& method, const std::string& path,
                     const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});
  // Starts a streamed GET; then readEvent() returns each JSON line (null on end/timeout).
  int startWatch(const std::string& path, const std::map<std::string, std::string>& headers = {});
  nlohmann::json readEvent(int timeout_ms);
  bool streamEnded() const { return ended_; }

 private:
  bool fill(int timeout_ms);
  bool readLine(std::string& line, int timeout_ms);
  int fd_ = -1;
  int port_;
  std::string buf_;
  std::string chunk_data_;
  bool ended_ = false;
};

// An ApiServer behind an HttpServer on 127.0.0.1:0.
class ServerFixture {
 public:
  explicit ServerFixture(ApiServerOptions opts = {});
  ~ServerFixture();
  int port() const { return http_->port(); }
  ApiServer& api() { return *api_; }

 private:
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace mr::apiserver::testing
