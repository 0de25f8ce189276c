// The checks against a real Prometheus 2.42 (HTTPS, custom CA) over backfilled data; scenarios
// are described in prometheus_fixture.cpp. Expected values are the hand-derived ones: the P99
// shown interpolates linearly inside the bucket holding rank 0.99*n (as histogram_quantile
// does), so all observations in (0.025, 0.05] give 25 + 25*0.99 = 49.75 ms and in (0.25, 0.5]
// 497.5 ms; MAE degradation 0.40/0.25 - 1 = 0.6; identical prediction shapes give PSI 0.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <future>

#include "analysis/checks.h"
#include "analysis/prometheus_analyzer.h"
#include "analysis/prometheus_client.h"
#include "tests/analysis/prometheus_fixture.h"

namespace mr::analysis {
namespace {

using namespace std::chrono_literals;

class RealPrometheusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    prometheus_ = new testing::RealPrometheus();
    setup_error_ = new std::string(prometheus_->start());
  }
  static void TearDownTestSuite() {
    delete prometheus_;
    delete setup_error_;
  }
  void SetUp() override { ASSERT_EQ(*setup_error_, ""); }

  static AnalysisRequest request(const std::string& rollout) {
    AnalysisRequest r;
    r.namespace_name = "ml";
    r.rollout = rollout;
    r.stable_revision = "r0";
    r.canary_revision = "r1";
    r.spec.prometheus.address = prometheus_->address();
    r.spec.prometheus.timeout = 5s;
    r.spec.window = 600s;
    r.spec.min_sample_size = 500;
    r.ca_pem = prometheus_->caPem();
    return r;
  }

  static AnalysisResult analyze(const AnalysisRequest& r) {
    PrometheusClient client(clientConfigFor(r), RealClock::instance());
    return runAnalysis(r, client, RealClock::instance());
  }

  static const MetricResult& metric(const AnalysisResult& r, const std::string& name) {
    for (const auto& m : r.metrics) {
      if (m.name == name) return m;
    }
    static MetricResult missing;
    ADD_FAILURE() << "no metric " << name;
    return missing;
  }

  static testing::RealPrometheus* prometheus_;
  static std::string* setup_error_;
};

testing::RealPrometheus* RealPrometheusTest::prometheus_ = nullptr;
std::string* RealPrometheusTest::setup_error_ = nullptr;

const char* kCanaryRps =
    "sum(rate(model_requests_total{namespace=\"{{namespace}}\",rollout=\"{{rollout}}\","
    "role=\"{{role}}\"}[{{window}}]))";

TEST_F(RealPrometheusTest, GoodCanaryPassesEveryMetric) {
  auto r = request("good");
  r.spec.custom.push_back({"canary-rps", kCanaryRps, 1.0, std::nullopt});
  const auto result = analyze(r);
  for (const auto& m : result.metrics) {
    EXPECT_EQ(m.verdict, Verdict::kPass) << m.name << ": " << m.message << " [" << m.query << "]";
  }
  EXPECT_EQ(result.verdict, Verdict::kPass) << result.message;
  EXPECT_EQ(*metric(result, "errorRate").value, 0.0);
  EXPECT_GT(*metric(result, "errorRate").sample_size, 9000);  // ~250 per 15 s over 10 min
  EXPECT_NEAR(*metric(result, "latencyP99").value, 49.75, 0.01);
  EXPECT_NEAR(*metric(result, "drift").value, 0.0, 1e-6);
  EXPECT_NEAR(*metric(result, "maeDegradation").value, 0.0, 1e-6);
  EXPECT_NEAR(*metric(result, "canary-rps").value, 250.0 / 15, 0.5);
}

TEST_F(RealPrometheusTest, BadCanaryFailsEveryMetric) {
  auto r = request("bad");
  r.spec.custom.push_back({"canary-rps", kCanaryRps, std::nullopt, 1.0});
  const auto result = analyze(r);
  for (const auto& m : result.metrics) {
    EXPECT_EQ(m.verdict, Verdict::kFail) << m.name << ": " << m.message;
  }
  EXPECT_NEAR(*metric(result, "errorRate").value, 0.05, 0.002);
  EXPECT_NEAR(*metric(result, "latencyP99").value, 497.5, 0.1);
  EXPECT_GT(*metric(result, "drift").value, 1.0);
  EXPECT_NEAR(*metric(result, "maeDegradation").value, 0.6, 1e-6);
  EXPECT_EQ(result.verdict, Verdict::kFail);
  EXPECT_NE(result.message.find("errorRate: error rate 0.05"), std::string::npos) << result.message;
}

TEST_F(RealPrometheusTest, SparseCanaryIsInconclusiveAndOnNoDataFailNeedsNoDataAtAll) {
  auto r = request("sparse");
  r.spec.on_no_data = NoDataPolicy::kFail;  // 40 requests are data, just too few
  auto result = analyze(r);
  for (const auto& m : result.metrics) {
    EXPECT_EQ(m.verdict, Verdict::kInconclusive) << m.name << ": " << m.message;
    EXPECT_LT(*m.sample_size, 500) << m.name;
  }
  r = request("ghost");  // no series at all
  r.spec.error_rate.listed = r.spec.latency_p99_ms.listed = true;
  r.spec.drift.listed = r.spec.mae_degradation.listed = true;
  r.spec.on_no_data = NoDataPolicy::kFail;
  result = analyze(r);
  for (const auto& m : result.metrics)
    EXPECT_EQ(m.verdict, Verdict::kFail) << m.name << ": " << m.message;
}

TEST_F(RealPrometheusTest, BorderlineErrorRateIsInconclusive) {
  auto r = request("borderline");
  const auto m = metric(analyze(r), "errorRate");
  EXPECT_EQ(m.verdict, Verdict::kInconclusive) << m.message;
  EXPECT_GT(*m.value, 0.001);
}

TEST_F(RealPrometheusTest, NaNAndEmptyResultsAreInconclusive) {
  // Issue 12 item 9: a histogram with no samples in the range was an Error; it is no data.
  auto idle = analyze(request("idle"));
  EXPECT_EQ(metric(idle, "latencyP99").verdict, Verdict::kInconclusive);
  EXPECT_NE(metric(idle, "latencyP99").message.find("no request-duration samples"),
            std::string::npos)
      << metric(idle, "latencyP99").message;

  auto r = request("good");
  r.spec.error_rate.enabled = r.spec.latency_p99_ms.enabled = false;
  r.spec.drift.enabled = r.spec.mae_degradation.enabled = false;
  r.spec.custom.push_back({"empty", "sum(no_such_metric{rollout=\"{{rollout}}\"})", 0.0, 1.0});
  r.spec.custom.push_back({"nan", "scalar(sum(no_such_metric))", 0.0, 1.0});
  const auto result = analyze(r);
  EXPECT_EQ(metric(result, "empty").verdict, Verdict::kInconclusive);
  EXPECT_NE(metric(result, "empty").message.find("empty"), std::string::npos);
  EXPECT_EQ(metric(result, "nan").verdict, Verdict::kInconclusive);
  EXPECT_NE(metric(result, "nan").message.find("NaN"), std::string::npos);

  const auto ghost = analyze(request("ghost"));  // no series at all
  for (const auto& m : ghost.metrics) {
    EXPECT_TRUE(m.verdict == Verdict::kInconclusive || m.verdict == Verdict::kSkipped)
        << m.name << ": " << m.message;
  }
  EXPECT_EQ(ghost.verdict, Verdict::kInconclusive);
}

TEST_F(RealPrometheusTest, BadQueryIsErrorWithPrometheusMessage) {
  auto r = request("good");
  r.spec.custom.push_back({"broken", "sum(rate(x[5m]", std::nullopt, 1.0});
  const auto result = analyze(r);
  const auto& m = metric(result, "broken");
  EXPECT_EQ(m.verdict, Verdict::kError);
  EXPECT_NE(m.message.find("HTTP 400 (bad_data)"), std::string::npos) << m.message;
  EXPECT_NE(m.message.find("parse error"), std::string::npos) << m.message;
  EXPECT_EQ(result.verdict, Verdict::kError);
}

TEST_F(RealPrometheusTest, TlsNeedsTheCaUnlessVerificationIsSkipped) {
  auto r = request("good");
  r.ca_pem.clear();
  r.spec.prometheus.timeout = 2s;
  auto result = analyze(r);
  EXPECT_EQ(result.verdict, Verdict::kError) << result.message;
  r.spec.prometheus.insecure_skip_tls_verify = true;
  result = analyze(r);
  EXPECT_EQ(result.verdict, Verdict::kPass) << result.message;
}

TEST_F(RealPrometheusTest, PrometheusDownIsError) {
  auto r = request("good");
  r.spec.prometheus.address = "https://127.0.0.1:" + std::to_string(testing::freePort());
  r.spec.prometheus.timeout = 2s;
  const auto result = analyze(r);
  EXPECT_EQ(result.verdict, Verdict::kError);
  for (const auto& m : result.metrics) {
    EXPECT_EQ(m.verdict, Verdict::kError) << m.name;
    EXPECT_NE(m.message.find(r.spec.prometheus.address), std::string::npos) << m.message;
  }
}

TEST_F(RealPrometheusTest, AnalyzerJudgesOffThreadAndCountsVerdicts) {
  prometheus::Registry registry;
  PrometheusAnalyzerOptions o;
  o.registry = &registry;
  o.policy.allowed_addresses = {prometheus_->address()};
  PrometheusAnalyzer analyzer(o);
  std::promise<AnalysisResult> good, bad;
  analyzer.submit(request("good"), [&](AnalysisResult r) { good.set_value(r); });
  analyzer.submit(request("bad"), [&](AnalysisResult r) { bad.set_value(r); });
  auto g = good.get_future(), b = bad.get_future();
  ASSERT_EQ(g.wait_for(20s), std::future_status::ready);
  ASSERT_EQ(b.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(g.get().verdict, Verdict::kPass);
  EXPECT_EQ(b.get().verdict, Verdict::kFail);
  analyzer.shutdown();
  const auto text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_NE(text.find("modelrollout_analysis_verdicts_total{metric=\"drift\",verdict=\"Fail\"} 1"),
            std::string::npos)
      << text;
  // 8 queries a check: sample size, errors, latency buckets, 2 prediction histograms, MAE's
  // count, sum and squared sum.
  EXPECT_NE(text.find("modelrollout_analysis_query_duration_seconds_count 16"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace mr::analysis
