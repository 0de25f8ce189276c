#include "analysis/prometheus_analyzer.h"

#include <spdlog/spdlog.h>

#include "analysis/checks.h"
#include "common/guarded_loop.h"

namespace mr::analysis {

namespace {

std::string addressKey(const std::string& address) {
  auto parsed = parsePrometheusAddress(address);
  return parsed.isOk() ? parsed->canonical() : address;
}

int countOf(const std::map<std::string, int>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

int belowPool(int limit, int threads) {
  return std::max(1, threads > 1 ? std::min(limit, threads - 1) : limit);
}

}  // namespace

PrometheusClientConfig clientConfigFor(const AnalysisRequest& request,
                                       const PrometheusPolicy& policy) {
  PrometheusClientConfig c;
  const auto& p = request.spec.prometheus;
  c.address = p.address;
  c.timeout = clampTimeout(p.timeout, policy);
  c.max_body_bytes = policy.max_body_bytes;
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
  options_.per_address_limit = belowPool(options_.per_address_limit, n);
  options_.per_namespace_limit = belowPool(options_.per_namespace_limit, n);
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
    } else if (queued_by_namespace_[request.namespace_name] >= options_.max_queued_per_namespace) {
      refused = "analysis queue is full for namespace " + request.namespace_name + " (" +
                std::to_string(options_.max_queued_per_namespace) + " checks)";
    } else {
      ++queued_by_namespace_[request.namespace_name];
      std::string key = addressKey(request.spec.prometheus.address);
      queue_.push_back({std::move(request), std::move(done), std::move(key)});
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

std::deque<PrometheusAnalyzer::Job>::iterator PrometheusAnalyzer::pickRunnable() {
  auto best = queue_.end();
  uint64_t best_served = 0;
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    const std::string& ns = it->request.namespace_name;
    if (countOf(running_by_address_, it->address_key) >= options_.per_address_limit) continue;
    if (countOf(running_by_namespace_, ns) >= options_.per_namespace_limit) continue;
    const auto served = last_served_.find(ns);
    const uint64_t at = served == last_served_.end() ? 0 : served->second;
    if (best == queue_.end() || at < best_served) {
      best = it;
      best_served = at;
    }
  }
  return best;
}

void PrometheusAnalyzer::workerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (stopping_ && queue_.empty()) return;
    auto runnable = pickRunnable();
    if (runnable == queue_.end()) {
      cv_.wait(lock);
      continue;
    }
    Job job = std::move(*runnable);
    queue_.erase(runnable);
    const std::string address = job.address_key;
    const std::string ns = job.request.namespace_name;
    if (--queued_by_namespace_[ns] == 0) queued_by_namespace_.erase(ns);
    ++running_by_address_[address];
    ++running_by_namespace_[ns];
    last_served_[ns] = ++serve_count_;
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
    if (--running_by_namespace_[ns] == 0) {
      running_by_namespace_.erase(ns);
      if (!queued_by_namespace_.count(ns)) last_served_.erase(ns);
    }
    cv_.notify_all();
  }
}

AnalysisResult PrometheusAnalyzer::run(const AnalysisRequest& request) {
  const auto& prometheus = request.spec.prometheus;
  Status allowed = checkAddressAllowed(prometheus.address, options_.policy.allowed_addresses);
  if (allowed.isOk()) {
    allowed = checkTokenTransport(prometheus.address, !request.bearer_token.empty());
  }
  if (!allowed.isOk()) {
    // Normally caught earlier (analysis_request.h); this is the last line before a socket.
    if (metrics_) metrics_->countCheck(Verdict::kError);
    return immediateError(request, allowed.message());
  }
  auto api = options_.api_factory(clientConfigFor(request, options_.policy));
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
    queued_by_namespace_.clear();
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
