// PrometheusAnalyzer: the production Analyzer. submit() only enqueues; a fixed pool of
// `threads` workers runs the checks (checks.h) so reconcile workers never wait on Prometheus.
// Fairness (docs/security.md): at most `per_address_limit` checks run at once against one
// Prometheus address and at most `per_namespace_limit` for one namespace, both kept below the
// pool size (when it has more than one worker), so one slow address or one busy tenant always
// leaves workers for the others; a free worker takes the oldest runnable check of the
// namespace served least recently (round-robin across namespaces, FIFO within one). One
// namespace may hold at most `max_queued_per_namespace` queued checks.
// Before querying, the request's address is checked against options.policy (the allow-list,
// prometheus_policy.h) and the token's transport; a refused request is an Error without any
// connection. Timeouts are clamped and bodies capped by the same policy (clientConfigFor).
// A full queue answers at once with an Error result.
// Every submitted request gets exactly one `done` call: with the check's result, with Error
// "analysis queue is full", or with Error "analyzer is shutting down" for requests still queued
// at shutdown(). `done` runs on a worker thread (or on the caller's, for the immediate
// errors) and must not call shutdown().
// Thread-safety: submit() and shutdown() are safe from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "analysis/analysis_metrics.h"
#include "analysis/analyzer.h"
#include "analysis/prometheus_client.h"
#include "analysis/prometheus_policy.h"
#include "common/clock.h"

namespace mr::analysis {

using PrometheusApiFactory =
    std::function<std::unique_ptr<PrometheusApi>(const PrometheusClientConfig&)>;

struct PrometheusAnalyzerOptions {
  int threads = 2;
  int per_address_limit = 2;    // clamped to [1, threads - 1] when threads > 1
  int per_namespace_limit = 2;  // clamped the same way
  size_t max_queued = 1000;
  size_t max_queued_per_namespace = 250;
  PrometheusPolicy policy;                   // allow-list, body and timeout caps
  const Clock* clock = nullptr;              // null = RealClock::instance()
  prometheus::Registry* registry = nullptr;  // null = no controller metrics
  PrometheusApiFactory api_factory;          // empty = PrometheusClient over HTTP(S)
};

// The client configuration a request implies (address, timeout, token, CA, TLS verification),
// with the timeout clamped to policy.max_timeout and the body capped at policy.max_body_bytes.
PrometheusClientConfig clientConfigFor(const AnalysisRequest& request,
                                       const PrometheusPolicy& policy = {});

class PrometheusAnalyzer final : public Analyzer {
 public:
  explicit PrometheusAnalyzer(PrometheusAnalyzerOptions options = {});
  ~PrometheusAnalyzer() override;  // calls shutdown()

  void submit(AnalysisRequest request, std::function<void(AnalysisResult)> done) override;

  // Stops accepting work, answers queued requests with Error, waits for running checks.
  void shutdown();

 private:
  struct Job {
    AnalysisRequest request;
    std::function<void(AnalysisResult)> done;
    std::string address_key;  // canonical address: one limit for spellings of one address
  };

  void workerLoop();
  AnalysisResult run(const AnalysisRequest& request);
  AnalysisResult immediateError(const AnalysisRequest& request, const std::string& message) const;

  PrometheusAnalyzerOptions options_;
  const Clock& clock_;
  std::unique_ptr<AnalysisMetrics> metrics_;

  std::mutex mu_;
  std::condition_variable cv_;
  // Picks the next runnable job (see the fairness rule above); queue_.end() when none.
  std::deque<Job>::iterator pickRunnable();

  std::deque<Job> queue_;                              // guarded by mu_
  std::map<std::string, int> running_by_address_;      // guarded by mu_
  std::map<std::string, int> running_by_namespace_;    // guarded by mu_
  std::map<std::string, size_t> queued_by_namespace_;  // guarded by mu_
  // Namespace -> when it was last handed a worker (a counter); absent = never or long ago.
  std::map<std::string, uint64_t> last_served_;  // guarded by mu_
  uint64_t serve_count_ = 0;                     // guarded by mu_
  bool stopping_ = false;                        // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace mr::analysis
