#include "analysis/prometheus_analyzer.h"

#include <spdlog/spdlog.h>

#include "analysis/checks.h"
#include "common/guarded_loop.h"

namespace mr::analysis {

PrometheusClientConfig clientConfigFor(const AnalysisRequest& request) {
  PrometheusClientConfig c;
  const auto& p = request.spec.prometheus;
  c.address = p.address;
  c.timeout = p.timeout;
  c.bearer_token = request.bearer_token;
  c.ca_pem = request.ca_pem;
  c.insecure_skip_tls_verify = p.insecure_skip_tls_verify;
  return c;
}

PrometheusAnalyzer::PrometheusAnalyzer(PrometheusAnalyzerOptions options)
    : options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : RealClock::instance()) {
  if (options_.registry) metrics_ = std::make_unique<AnalysisMetrics>(*options_.registry);
  if (!options_.api_factory) {
    const Clock* clock = &clock_;
    options_.api_factory = [clock](const PrometheusClientConfig& config) {
      return std::make_unique<PrometheusClient>(config, *clock);
    };
  }
  const int n = std::max(1, options_.threads);
  options_.per_address_limit = std::max(1, options_.per_address_limit);
  for (int i = 0; i < n; ++i)
    workers_.emplace_back([this] { workerLoop(); });
}

PrometheusAnalyzer::~PrometheusAnalyzer() {
  shutdown();
}

AnalysisResult PrometheusAnalyzer::immediateError(const AnalysisRequest& request,
                                                  const std::string& message) const {
  AnalysisResult r;
  r.verdict = Verdict::kError;
  r.message = message;
  r.time = clock_.now();
  r.canary_revision = request.canary_revision;
  r.step = request.step;
  return r;
}

void PrometheusAnalyzer::submit(AnalysisRequest request, std::function<void(AnalysisResult)> done) {
  std::string refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      refused = "analyzer is shutting down";
    } else if (queue_.size() >= options_.max_queued) {
      refused = "analysis queue is full (" + std::to_string(options_.max_queued) + " checks)";
    } else {
      queue_.push_back({std::move(request), std::move(done)});
      if (metrics_) metrics_->pending().Increment();
    }
  }
  if (!refused.empty()) {
    if (metrics_) metrics_->countCheck(Verdict::kError);
    done(immediateError(request, refused));
    return;
  }
  cv_.notify_one();
}

void PrometheusAnalyzer::workerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    auto runnable = queue_.end();
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (running_by_address_[it->request.spec.prometheus.address] < options_.per_address_limit) {
        runnable = it;
        break;
      }
    }
    if (stopping_ && queue_.empty()) return;
    if (runnable == queue_.end()) {
      cv_.wait(lock);
      continue;
    }
    Job job = std::move(*runnable);
    queue_.erase(runnable);
    const std::string address = job.request.spec.prometheus.address;
    ++running_by_address_[address];
    lock.unlock();
    AnalysisResult result;
    try {
      result = run(job.request);
    } catch (...) {  // the analyzer thread's top-level handler: an Error verdict, not a crash
      result.verdict = Verdict::kError;
      result.time = clock_.now();
      result.canary_revision = job.request.canary_revision;
      result.step = job.request.step;
      result.message = "analysis failed unexpectedly: " + currentExceptionMessage();
      spdlog::error("analysis {}/{}: {}", job.request.namespace_name, job.request.rollout,
                    result.message);
    }
    if (metrics_) metrics_->pending().Decrement();
    try {
      job.done(std::move(result));
    } catch (...) {
      spdlog::error("analysis {}/{}: result handler threw: {}", job.request.namespace_name,
                    job.request.rollout, currentExceptionMessage());
    }
    lock.lock();
    if (--running_by_address_[address] == 0) running_by_address_.erase(address);
    cv_.notify_all();
  }
}

AnalysisResult PrometheusAnalyzer::run(const AnalysisRequest& request) {
  auto api = options_.api_factory(clientConfigFor(request));
  AnalysisResult result;
  if (metrics_) {
    InstrumentedPrometheusApi instrumented(*api, *metrics_, clock_);
    result = runAnalysis(request, instrumented, clock_);
    metrics_->countCheck(result.verdict);
    for (const auto& m : result.metrics)
      metrics_->countMetric(m.name, m.verdict);
  } else {
    result = runAnalysis(request, *api, clock_);
  }
  spdlog::debug("analysis {}/{} step {} revision {}: {} ({})", request.namespace_name,
                request.rollout, request.step, request.canary_revision, verdictName(result.verdict),
                result.message);
  return result;
}

void PrometheusAnalyzer::shutdown() {
  std::deque<Job> abandoned;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    abandoned.swap(queue_);
  }
  cv_.notify_all();
  for (auto& job : abandoned) {
    if (metrics_) metrics_->pending().Decrement();
    job.done(immediateError(job.request, "analyzer is shutting down"));
  }
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

}  // namespace mr::analysis
