// PrometheusAnalyzer scheduling with fake APIs: results arrive off the caller's thread, the
// per-address limit holds while other addresses proceed, namespaces are served round-robin and
// one slow address cannot starve another namespace, an address off the allow-list is never
// queried, a full queue and shutdown answer with Error, and the controller metrics are
// registered and counted.
#include "analysis/prometheus_analyzer.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <future>

#include "tests/analysis/fake_prometheus_api.h"

namespace mr::analysis {
namespace {

using namespace std::chrono_literals;

// Blocks every query until release(); counts concurrent queries per address.
class Gate {
 public:
  void release() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class GatedApi : public PrometheusApi {
 public:
  GatedApi(Gate* gate, std::atomic<int>* active, std::atomic<int>* peak)
      : gate_(gate), active_(active), peak_(peak) {}
  Result<QueryResult> query(const std::string&) override {
    const int now = ++*active_;
    int p = peak_->load();
    while (now > p && !peak_->compare_exchange_weak(p, now)) {
    }
    if (gate_) gate_->wait();
    --*active_;
    return testing::number(1000);
  }

 private:
  Gate* gate_;
  std::atomic<int>* active_;
  std::atomic<int>* peak_;
};

AnalysisRequest requestFor(const std::string& address, const std::string& rollout) {
  AnalysisRequest r;
  r.namespace_name = "ml";
  r.rollout = rollout;
  r.canary_revision = "c";
  r.spec.prometheus.address = address;
  r.spec.latency_p99_ms.enabled = r.spec.drift.enabled = r.spec.mae_degradation.enabled = false;
  return r;  // errorRate only: 2 queries returning 1000 -> 1000 errors of 1000 requests: Fail
}

TEST(PrometheusAnalyzerTest, DeliversResultOnWorkerThreadWithMetrics) {
  prometheus::Registry registry;
  std::atomic<int> active{0}, peak{0};
  PrometheusAnalyzerOptions o;
  o.registry = &registry;
  o.policy.allowed_addresses = {"https://a:9090"};
  o.api_factory = [&](const PrometheusClientConfig& c) {
    EXPECT_EQ(c.address, "https://a:9090");
    EXPECT_EQ(c.bearer_token, "tok");
    return std::make_unique<GatedApi>(nullptr, &active, &peak);
  };
  PrometheusAnalyzer analyzer(o);
  std::promise<std::pair<AnalysisResult, std::thread::id>> p;
  auto r = requestFor("https://a:9090", "one");
  r.bearer_token = "tok";
  analyzer.submit(r, [&](AnalysisResult res) { p.set_value({res, std::this_thread::get_id()}); });
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  auto [res, tid] = f.get();
  EXPECT_NE(tid, std::this_thread::get_id());
  EXPECT_EQ(res.verdict, Verdict::kFail);
  EXPECT_EQ(res.canary_revision, "c");
  analyzer.shutdown();
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_NE(
      text.find("modelrollout_analysis_verdicts_total{metric=\"errorRate\",verdict=\"Fail\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("modelrollout_analysis_checks_total{verdict=\"Fail\"} 1"), std::string::npos);
  EXPECT_NE(text.find("modelrollout_analysis_query_duration_seconds_count 2"), std::string::npos);
}

TEST(PrometheusAnalyzerTest, PerAddressLimitDoesNotBlockOtherAddresses) {
  Gate slow_gate;
  std::atomic<int> slow_active{0}, slow_peak{0}, fast_active{0}, fast_peak{0};
  PrometheusAnalyzerOptions o;
  o.threads = 3;
  o.per_address_limit = 1;
  o.policy.allowed_addresses = {"http://slow", "http://fast"};
  o.api_factory = [&](const PrometheusClientConfig& c) -> std::unique_ptr<PrometheusApi> {
    if (c.address == "http://slow") {
      return std::make_unique<GatedApi>(&slow_gate, &slow_active, &slow_peak);
    }
    return std::make_unique<GatedApi>(nullptr, &fast_active, &fast_peak);
  };
  PrometheusAnalyzer analyzer(o);
  std::atomic<int> slow_done{0};
  for (int i = 0; i < 3; ++i) {
    analyzer.submit(requestFor("http://slow", "s" + std::to_string(i)),
                    [&](AnalysisResult) { ++slow_done; });
  }
  // The scenario needs a slow check in flight (holding the address's one slot) before the fast
  // one arrives; under a sanitizer the pool may not have started it yet.
  for (int i = 0; i < 1000 && slow_active.load() == 0; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(slow_active.load(), 1) << "no slow check started within 10 s";
  std::promise<void> fast;
  analyzer.submit(requestFor("http://fast", "f"), [&](AnalysisResult) { fast.set_value(); });
  ASSERT_EQ(fast.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(slow_done.load(), 0);
  EXPECT_EQ(slow_peak.load(), 1);
  slow_gate.release();
  analyzer.shutdown();  // waits for running checks; none were queued long enough to drop
  EXPECT_EQ(slow_peak.load(), 1);
  EXPECT_EQ(slow_done.load(), 3);
}

TEST(PrometheusAnalyzerTest, FullQueueAndShutdownAnswerWithError) {
  Gate gate;
  std::atomic<int> active{0}, peak{0};
  PrometheusAnalyzerOptions o;
  o.threads = 1;
  o.max_queued = 1;
  o.policy.allowed_addresses = {"http://a"};
  o.api_factory = [&](const PrometheusClientConfig&) {
    return std::make_unique<GatedApi>(&gate, &active, &peak);
  };
  auto analyzer = std::make_unique<PrometheusAnalyzer>(o);
  std::promise<AnalysisResult> first, second, third;
  analyzer->submit(requestFor("http://a", "1"), [&](AnalysisResult r) { first.set_value(r); });
  while (active.load() == 0)
    std::this_thread::yield();  // first is running, queue empty
  analyzer->submit(requestFor("http://a", "2"), [&](AnalysisResult r) { second.set_value(r); });
  analyzer->submit(requestFor("http://a", "3"), [&](AnalysisResult r) { third.set_value(r); });
  auto t = third.get_future();
  ASSERT_EQ(t.wait_for(0s), std::future_status::ready);  // refused synchronously
  EXPECT_EQ(t.get().verdict, Verdict::kError);
  std::thread stopper([&] { analyzer->shutdown(); });
  auto s = second.get_future();
  ASSERT_EQ(s.wait_for(10s), std::future_status::ready);
  const auto sr = s.get();
  EXPECT_EQ(sr.verdict, Verdict::kError);
  EXPECT_EQ(sr.message, "analyzer is shutting down");
  gate.release();
  stopper.join();
  EXPECT_EQ(first.get_future().get().verdict, Verdict::kFail);
}

// Issue 15: the per-address limit used to equal the pool size, so checks against one slow
// address held every worker and other tenants' analysis stalled behind them.
TEST(PrometheusAnalyzerTest, SlowAddressDoesNotStarveOtherNamespaces) {
  Gate slow_gate;
  std::atomic<int> slow_active{0}, slow_peak{0}, fast_active{0}, fast_peak{0};
  PrometheusAnalyzerOptions o;
  o.threads = 4;
  o.per_address_limit = 4;  // as the controller used to configure it: clamped below the pool
  o.per_namespace_limit = 4;
  o.policy.allowed_addresses = {"http://slow", "http://fast"};
  o.api_factory = [&](const PrometheusClientConfig& c) -> std::unique_ptr<PrometheusApi> {
    if (c.address == "http://slow") {
      return std::make_unique<GatedApi>(&slow_gate, &slow_active, &slow_peak);
    }
    return std::make_unique<GatedApi>(nullptr, &fast_active, &fast_peak);
  };
  PrometheusAnalyzer analyzer(o);
  std::atomic<int> slow_done{0};
  for (int i = 0; i < 8; ++i) {
    auto r = requestFor("http://slow", "s" + std::to_string(i));
    r.namespace_name = "tenant-a";
    analyzer.submit(r, [&](AnalysisResult) { ++slow_done; });
  }
  for (int i = 0; i < 1000 && slow_active.load() < 3; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(slow_active.load(), 3) << "slow checks did not take their share within 10 s";
  std::promise<AnalysisResult> fast;
  auto r = requestFor("http://fast", "f");
  r.namespace_name = "tenant-b";
  analyzer.submit(r, [&](AnalysisResult res) { fast.set_value(res); });
  auto f = fast.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready)
      << "tenant-b's check waited behind tenant-a's slow address";
  EXPECT_EQ(f.get().verdict, Verdict::kFail);
  EXPECT_EQ(slow_done.load(), 0);
  EXPECT_EQ(slow_peak.load(), 3) << "a slow address may hold at most threads - 1 workers";
  slow_gate.release();
  analyzer.shutdown();
  EXPECT_EQ(slow_done.load(), 8);
}

TEST(PrometheusAnalyzerTest, QueuedChecksAreServedRoundRobinAcrossNamespaces) {
  Gate gate;
  std::atomic<int> active{0}, peak{0};
  PrometheusAnalyzerOptions o;
  o.threads = 1;
  o.policy.allowed_addresses = {"http://a"};
  std::atomic<bool> first{true};
  o.api_factory = [&](const PrometheusClientConfig&) {
    // Only the first check waits, so the rest queue up behind it.
    return std::make_unique<GatedApi>(first.exchange(false) ? &gate : nullptr, &active, &peak);
  };
  PrometheusAnalyzer analyzer(o);
  std::mutex mu;
  std::vector<std::string> order;
  auto submit = [&](const std::string& ns, const std::string& name) {
    auto r = requestFor("http://a", name);
    r.namespace_name = ns;
    analyzer.submit(r, [&, name](AnalysisResult) {
      std::lock_guard<std::mutex> l(mu);
      order.push_back(name);
    });
  };
  submit("a", "a0");
  for (int i = 0; i < 1000 && active.load() == 0; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(active.load(), 1);
  submit("a", "a1");
  submit("a", "a2");
  submit("b", "b0");
  submit("b", "b1");
  submit("c", "c0");
  gate.release();
  auto done = [&] {
    std::lock_guard<std::mutex> l(mu);
    return order.size();
  };
  for (int i = 0; i < 1000 && done() < 6; ++i)
    std::this_thread::sleep_for(10ms);
  analyzer.shutdown();
  std::lock_guard<std::mutex> l(mu);
  // The namespace served least recently goes first; FIFO within a namespace.
  EXPECT_EQ(order, (std::vector<std::string>{"a0", "b0", "c0", "a1", "b1", "a2"}));
}

TEST(PrometheusAnalyzerTest, UnlistedAddressIsNeverQueried) {
  std::atomic<int> built{0};
  PrometheusAnalyzerOptions o;  // default allow-list: the in-cluster Prometheus only
  o.api_factory = [&](const PrometheusClientConfig&) -> std::unique_ptr<PrometheusApi> {
    ++built;
    return std::make_unique<testing::FakePrometheusApi>();
  };
  PrometheusAnalyzer analyzer(o);
  std::promise<AnalysisResult> p;
  auto r = requestFor("http://169.254.169.254", "r");
  analyzer.submit(r, [&](AnalysisResult res) { p.set_value(res); });
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  const auto res = f.get();
  EXPECT_EQ(res.verdict, Verdict::kError);
  EXPECT_NE(res.message.find("not allowed"), std::string::npos) << res.message;
  EXPECT_NE(res.message.find(kDefaultPrometheusAddress), std::string::npos) << res.message;
  EXPECT_EQ(built.load(), 0);
}

TEST(PrometheusAnalyzerTest, ClientConfigClampsTimeoutAndCapsBody) {
  AnalysisRequest r;
  r.spec.prometheus.timeout = std::chrono::hours(1);
  PrometheusPolicy policy;
  policy.max_body_bytes = 4096;
  const auto c = clientConfigFor(r, policy);
  EXPECT_EQ(c.timeout, 60s);
  EXPECT_EQ(c.max_body_bytes, 4096u);
}

TEST(PrometheusAnalyzerTest, ClientConfigComesFromRequest) {
  AnalysisRequest r;
  r.spec.prometheus.address = "https://p:9090";
  r.spec.prometheus.timeout = 3s;
  r.spec.prometheus.insecure_skip_tls_verify = true;
  r.bearer_token = "t";
  r.ca_pem = "PEM";
  const auto c = clientConfigFor(r);
  EXPECT_EQ(c.address, "https://p:9090");
  EXPECT_EQ(c.timeout, 3s);
  EXPECT_TRUE(c.insecure_skip_tls_verify);
  EXPECT_EQ(c.bearer_token, "t");
  EXPECT_EQ(c.ca_pem, "PEM");
}

}  // namespace
}  // namespace mr::analysis
