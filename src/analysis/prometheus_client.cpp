#include "analysis/prometheus_client.h"

#include <cpprest/http_client.h>
#include <cpprest/uri_builder.h>

#include <boost/asio/ssl.hpp>
#include <system_error>
#include <vector>

#include "analysis/prometheus_policy.h"

namespace mr::analysis {

namespace http = web::http;

PrometheusClient::PrometheusClient(PrometheusClientConfig config, const Clock& clock,
                                   RandomSource random)
    : config_(std::move(config)), clock_(clock), random_(std::move(random)) {
  if (config_.max_attempts < 1) config_.max_attempts = 1;
}

namespace {

// Prometheus' duration syntax has no fractions ("1.9s" is a 400), so send milliseconds.
std::string promDuration(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + "ms";
}

std::string tooLarge(int http_status, size_t limit) {
  return "Prometheus returned HTTP " + std::to_string(http_status) +
         " with a body larger than the limit of " + std::to_string(limit) + " bytes";
}

// Reads the body, stopping as soon as it passes `limit`. Not retryable: the same query returns
// the same amount of data.
Result<std::string> readCapped(http::http_response& resp, size_t limit) {
  const auto declared = resp.headers().content_length();
  if (declared > limit) return invalidArgument(tooLarge(resp.status_code(), limit));
  auto in = resp.body().streambuf();
  std::string body;
  std::vector<uint8_t> chunk(64 * 1024);
  while (true) {
    const size_t n = in.getn(chunk.data(), chunk.size()).get();
    if (n == 0) break;
    if (body.size() + n > limit) {
      // Closing the body makes cpprestsdk's next write into it fail, which ends the transfer
      // instead of buffering the rest of the reply for nobody.
      in.close().wait();
      return invalidArgument(tooLarge(resp.status_code(), limit));
    }
    body.append(reinterpret_cast<const char*>(chunk.data()), n);
  }
  return body;
}

}  // namespace

Result<QueryResult> PrometheusClient::attempt(const std::string& promql,
                                              std::chrono::milliseconds budget) {
  http::client::http_client_config cfg;
  cfg.set_timeout(budget);
  cfg.set_validate_certificates(!config_.insecure_skip_tls_verify);
  if (!config_.ca_pem.empty() && !config_.insecure_skip_tls_verify) {
    const std::string pem = config_.ca_pem;
    cfg.set_ssl_context_callback([pem](boost::asio::ssl::context& ctx) {
      boost::system::error_code ec;
      // Bad PEM surfaces as a verification failure on connect, with the handshake's message.
      ctx.add_certificate_authority(boost::asio::buffer(pem.data(), pem.size()), ec);
    });
  }
  const std::string what = (config_.use_post ? "POST " : "GET ") + config_.address;
  try {
    http::client::http_client client(config_.address, cfg);
    web::uri_builder path("/api/v1/query");
    http::http_request req(config_.use_post ? http::methods::POST : http::methods::GET);
    const std::string server_timeout = promDuration(budget);
    if (config_.use_post) {
      req.set_request_uri(path.to_uri());
      req.set_body("query=" + web::uri::encode_data_string(promql) +
                       "&timeout=" + web::uri::encode_data_string(server_timeout),
                   "application/x-www-form-urlencoded");
    } else {
      path.append_query("query", promql).append_query("timeout", server_timeout);
      req.set_request_uri(path.to_uri());
    }
    req.headers().add("Accept", "application/json");
    if (!config_.bearer_token.empty()) {
      req.headers().add("Authorization", "Bearer " + config_.bearer_token);
    }
    http::http_response resp = client.request(req).get();
    auto body = readCapped(resp, config_.max_body_bytes);
    if (!body.isOk()) return body.status().withContext(what);
    return parseQueryResponse(resp.status_code(), *body);
  } catch (const http::http_exception& e) {
    if (e.error_code() == std::errc::timed_out) {
      return deadlineExceeded(what + ": no response within " + std::to_string(budget.count()) +
                              "ms");
    }
    return unavailable(what + ": " + e.what());
  } catch (const std::exception& e) {
    return unavailable(what + ": " + e.what());
  }
}

Result<QueryResult> PrometheusClient::query(const std::string& promql) {
  if (Status s = checkTokenTransport(config_.address, !config_.bearer_token.empty()); !s.isOk()) {
    return s;
  }
  const SteadyTime deadline = clock_.steadyNow() + config_.timeout;
  Backoff backoff(config_.backoff, random_);
  Status last;
  int attempts = 0;
  for (int i = 1; i <= config_.max_attempts; ++i) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.steadyNow());
    if (left.count() <= 0) break;
    ++attempts;
    auto r = attempt(promql, left);
    if (r.isOk() || !r.status().isRetryable()) return r;
    last = r.status();
    if (i == config_.max_attempts) break;
    const auto delay = backoff.next();
    if (clock_.steadyNow() + delay >= deadline) break;
    clock_.sleepFor(delay);
  }
  if (last.isOk()) {
    return deadlineExceeded("query timed out after " + std::to_string(config_.timeout.count()) +
                            "ms");
  }
  return last.withContext("after " + std::to_string(attempts) + " attempt(s)");
}

}  // namespace mr::analysis
