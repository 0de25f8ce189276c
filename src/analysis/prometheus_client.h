// PrometheusClient: PrometheusApi over HTTP(S) with cpprestsdk. One instant query per call
// (GET or POST form to <address>/api/v1/query), bearer token, custom CA (PEM) or skipped TLS
// verification, and bounded retries with mr::Backoff on transport errors, 429/502/503/504 —
// all within one overall `timeout` per query(): every attempt gets the time that is left as its
// socket timeout (cpprestsdk timeouts are per read) and Prometheus is told the same `timeout`.
// Safety (docs/security.md): a reply larger than `max_body_bytes` is refused (by its
// Content-Length before reading, else as soon as the limit is passed), a bearer token is never
// sent over plain http (kInvalidArgument before connecting), and errors never quote a reply
// body (query_result.h). The caller checks the address against the allow-list.
// Thread-safety: query() may be called from several threads; no mutable state is shared
// (an http_client is built per attempt, the Backoff per call).
#pragma once

#include <chrono>
#include <string>

#include "analysis/prometheus_api.h"
#include "common/backoff.h"
#include "common/clock.h"

namespace mr::analysis {

struct PrometheusClientConfig {
  std::string address;                       // "http://host:9090" or "https://host/prefix"
  std::chrono::milliseconds timeout{10000};  // whole query() including retries
  std::string bearer_token;                  // sent as "Authorization: Bearer ..." if not empty
  std::string ca_pem;                        // extra trusted CA(s), PEM; empty = system roots
  bool insecure_skip_tls_verify = false;
  bool use_post = true;  // POST form keeps long queries out of URLs and access logs
  int max_attempts = 3;
  size_t max_body_bytes = 8u << 20;
  BackoffPolicy backoff{std::chrono::milliseconds(200), std::chrono::milliseconds(2000), 2.0, 0.2};
};

class PrometheusClient final : public PrometheusApi {
 public:
  // `clock` must outlive the client.
  PrometheusClient(PrometheusClientConfig config, const Clock& clock,
                   RandomSource random = defaultRandomSource());

  Result<QueryResult> query(const std::string& promql) override;

  const PrometheusClientConfig& config() const { return config_; }

 private:
  Result<QueryResult> attempt(const std::string& promql, std::chrono::milliseconds budget);

  PrometheusClientConfig config_;
  const Clock& clock_;
  RandomSource random_;
};

}  // namespace mr::analysis
