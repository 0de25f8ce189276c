// PrometheusAnalyzer: the production Analyzer. submit() only enqueues; a fixed pool of
// `threads` workers runs the checks (checks.h) so reconcile workers never wait on Prometheus.
// At most `per_address_limit` checks run at once against one Prometheus address, so one slow
// Prometheus occupies at most that many workers' worth of queue order, and checks for other
// addresses keep flowing. A full queue answers at once with an Error result.
// Every submitted request gets exactly one `done` call: with the check's result, with Error
// "analysis queue is full", or with Error "analyzer is shutting down" for requests still queued
// at shutdown(). `done` runs on a worker thread (or on the caller's, for the two immediate
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
#include "common/clock.h"

namespace mr::analysis {

using PrometheusApiFactory =
    std::function<std::unique_ptr<PrometheusApi>(const PrometheusClientConfig&)>;

struct PrometheusAnalyzerOptions {
  int threads = 2;
  int per_address_limit = 2;
  size_t max_queued = 1000;
  const Clock* clock = nullptr;              // null = RealClock::instance()
  prometheus::Registry* registry = nullptr;  // null = no controller metrics
  PrometheusApiFactory api_factory;          // empty = PrometheusClient over HTTP(S)
};

// The client configuration a request implies (address, timeout, token, CA, TLS verification).
PrometheusClientConfig clientConfigFor(const AnalysisRequest& request);

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
  };

  void workerLoop();
  AnalysisResult run(const AnalysisRequest& request);
  AnalysisResult immediateError(const AnalysisRequest& request, const std::string& message) const;

  PrometheusAnalyzerOptions options_;
  const Clock& clock_;
  std::unique_ptr<AnalysisMetrics> metrics_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;                          // guarded by mu_
  std::map<std::string, int> running_by_address_;  // guarded by mu_
  bool stopping_ = false;                          // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace mr::analysis
