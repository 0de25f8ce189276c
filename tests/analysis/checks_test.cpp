// Verdict tables of every check against a fake PrometheusApi. Expected PSI values come from
// python3 (docs/analysis.md); Wilson bounds from statistics_test.cpp's references.
#include "analysis/checks.h"

#include <gtest/gtest.h>

#include "analysis/default_queries.h"
#include "common/fake_clock.h"
#include "tests/analysis/fake_prometheus_api.h"

namespace mr::analysis {
namespace {

using testing::byLabel;
using testing::FakePrometheusApi;
using testing::kNaN;
using testing::number;
using testing::predictionBuckets;

const std::vector<std::string> kSampleSize = {"model_requests_total", "!code=~"};
const std::vector<std::string> kErrors = {"model_requests_total", "code=~"};

// A request with only `only` enabled ("errorRate", "latencyP99", "drift", "maeDegradation",
// or "" for none).
AnalysisRequest request(const std::string& only) {
  AnalysisRequest r;
  r.namespace_name = "ml";
  r.rollout = "fraud";
  r.stable_revision = "s1";
  r.canary_revision = "c2";
  r.step = 1;
  r.spec.min_sample_size = 500;
  r.spec.error_rate.enabled = only == "errorRate";
  r.spec.latency_p99_ms.enabled = only == "latencyP99";
  r.spec.drift.enabled = only == "drift";
  r.spec.mae_degradation.enabled = only == "maeDegradation";
  return r;
}

class ChecksTest : public ::testing::Test {
 protected:
  MetricResult runOne(const AnalysisRequest& r) {
    result_ = runAnalysis(r, api_, clock_);
    EXPECT_EQ(result_.metrics.size(), 1u);
    return result_.metrics.empty() ? MetricResult{} : result_.metrics[0];
  }
  FakePrometheusApi api_;
  FakeClock clock_;
  AnalysisResult result_;
};

TEST_F(ChecksTest, ErrorRateVerdictTable) {
  struct Case {
    double requests, errors;
    Verdict verdict;
  } cases[] = {
      {10000, 5, Verdict::kPass},           // 0.0005 <= 0.001
      {10000, 10, Verdict::kPass},          // exactly max
      {10000, 20, Verdict::kFail},          // lower bound 0.001295 > 0.001
      {10000, 12, Verdict::kInconclusive},  // 0.0012 > max, lower bound 0.000687 <= max
      {100, 0, Verdict::kInconclusive},     // below minSampleSize, even with no errors
  };
  for (const auto& c : cases) {
    FakePrometheusApi api;
    api.on(kSampleSize, number(c.requests));
    api.on(kErrors, number(c.errors));
    const auto result = runAnalysis(request("errorRate"), api, clock_);
    ASSERT_EQ(result.metrics.size(), 1u);
    const auto& m = result.metrics[0];
    EXPECT_EQ(m.verdict, c.verdict) << c.errors << "/" << c.requests << ": " << m.message;
    EXPECT_EQ(*m.sample_size, c.requests);
    EXPECT_NEAR(*m.value, c.errors / c.requests, 1e-12);
    EXPECT_EQ(m.threshold, "<= 0.001");
    EXPECT_NE(m.query.find("code=~\"5..\""), std::string::npos);
    EXPECT_NE(m.query.find("rollout=\"fraud\""), std::string::npos);
    EXPECT_EQ(api.queries().size(), 2u);  // shared sample size + errors
  }
}

TEST_F(ChecksTest, ErrorRateFailMessageCarriesNumbers) {
  api_.on(kSampleSize, number(10000));
  api_.on(kErrors, number(20));
  const auto m = runOne(request("errorRate"));
  EXPECT_EQ(m.message,
            "error rate 0.002 (20 of 1e+04 requests, 95% Wilson [0.001295, 0.003087]): lower "
            "bound > max 0.001");
  EXPECT_EQ(result_.message, "errorRate: " + m.message + " (Fail)");
}

TEST_F(ChecksTest, NoDataPolicyFailTurnsLowSampleIntoFail) {
  auto r = request("errorRate");
  r.spec.on_no_data = NoDataPolicy::kFail;
  api_.on(kSampleSize, number(100));
  api_.on(kErrors, number(0));
  EXPECT_EQ(runOne(r).verdict, Verdict::kFail);
}

TEST_F(ChecksTest, MissingRequestMetricIsNoDataNotPass) {
  // Neither query has series: sample size 0.
  const auto m = runOne(request("errorRate"));
  EXPECT_EQ(m.verdict, Verdict::kInconclusive);
  EXPECT_NE(m.message.find("sample size 0 < minSampleSize 500"), std::string::npos);
}

TEST_F(ChecksTest, ErrorRateOverrideReturnsFraction) {
  auto r = request("errorRate");
  r.spec.error_rate.query = "my_error_ratio{app=\"{{rollout}}\"}";
  api_.on(kSampleSize, number(10000));
  api_.on({"my_error_ratio{app=\"fraud\"}"}, number(0.002));
  const auto m = runOne(r);
  EXPECT_EQ(m.verdict, Verdict::kFail);
  EXPECT_EQ(m.query, "my_error_ratio{app=\"fraud\"}");
}

TEST_F(ChecksTest, PrometheusErrorIsErrorWithMessage) {
  api_.on(kSampleSize, Status(StatusCode::kUnavailable, "POST http://p:9090: connection refused"));
  const auto m = runOne(request("errorRate"));
  EXPECT_EQ(m.verdict, Verdict::kError);
  EXPECT_NE(m.message.find("connection refused"), std::string::npos);
  EXPECT_FALSE(m.value.has_value());
  EXPECT_EQ(result_.verdict, Verdict::kError);
}

TEST_F(ChecksTest, TransportFailureFailsTheRestOfTheCheckFast) {
  AnalysisRequest r = request("errorRate");
  r.spec.latency_p99_ms.enabled = r.spec.drift.enabled = r.spec.mae_degradation.enabled = true;
  api_.on({}, Status(StatusCode::kUnavailable, "POST http://p:9090: connection refused"));
  const auto result = runAnalysis(r, api_, clock_);
  ASSERT_EQ(result.metrics.size(), 4u);
  for (const auto& m : result.metrics) {
    EXPECT_EQ(m.verdict, Verdict::kError) << m.name;
    EXPECT_NE(m.message.find("connection refused"), std::string::npos) << m.message;
  }
  EXPECT_EQ(api_.queries().size(), 1u);
}

TEST_F(ChecksTest, HttpErrorsDoNotStopOtherQueries) {
  AnalysisRequest r = request("errorRate");
  r.spec.latency_p99_ms.enabled = true;
  api_.on(kSampleSize, number(10000));
  api_.on(kErrors, Status(StatusCode::kUnavailable, "HTTP 503", 503, "unavailable"));
  api_.on({"histogram_quantile"}, number(20));
  const auto result = runAnalysis(r, api_, clock_);
  EXPECT_EQ(result.metrics[0].verdict, Verdict::kError);
  EXPECT_EQ(result.metrics[1].verdict, Verdict::kPass);
}

TEST_F(ChecksTest, LatencyVerdictTable) {
  struct Case {
    std::optional<double> value;
    Verdict verdict;
  } cases[] = {{50, Verdict::kPass},
               {100, Verdict::kPass},
               {150, Verdict::kFail},
               {kNaN, Verdict::kInconclusive},          // histogram_quantile over no observations
               {std::nullopt, Verdict::kInconclusive},  // empty result
               {std::numeric_limits<double>::infinity(), Verdict::kFail}};
  for (const auto& c : cases) {
    FakePrometheusApi api;
    api.on(kSampleSize, number(1000));
    api.on({"histogram_quantile"}, c.value ? number(*c.value) : testing::empty());
    const auto result = runAnalysis(request("latencyP99"), api, clock_);
    EXPECT_EQ(result.metrics[0].verdict, c.verdict) << result.metrics[0].message;
    EXPECT_EQ(result.metrics[0].threshold, "<= 100ms");
  }
}

TEST_F(ChecksTest, LatencyBelowSampleSizeIsInconclusiveEvenIfFast) {
  api_.on(kSampleSize, number(499));
  api_.on({"histogram_quantile"}, number(10));
  const auto m = runOne(request("latencyP99"));
  EXPECT_EQ(m.verdict, Verdict::kInconclusive);
  EXPECT_EQ(*m.value, 10);  // still recorded for visibility
}

TEST_F(ChecksTest, SeveralSeriesWhereOneExpectedIsError) {
  api_.on(kSampleSize, number(1000));
  api_.on({"histogram_quantile"}, byLabel("pod", {{"a", 10}, {"b", 20}}));
  const auto m = runOne(request("latencyP99"));
  EXPECT_EQ(m.verdict, Verdict::kError);
  EXPECT_NE(m.message.find("2 series"), std::string::npos);
}

TEST_F(ChecksTest, DriftVerdictTable) {
  const std::vector<std::string> canary = {"model_prediction_bucket", "role=\"canary\""};
  const std::vector<std::string> stable = {"model_prediction_bucket", "role=\"stable\""};
  struct Case {
    std::vector<double> canary, stable;
    Verdict verdict;
    std::optional<double> psi;
  } cases[] = {
      {{100, 200, 300, 400}, {1000, 2000, 3000, 4000}, Verdict::kPass, 0.0},
      {{400, 300, 200, 100}, {1000, 2000, 3000, 4000}, Verdict::kFail, 0.912869638294},
      {{40, 30, 20, 10}, {1000, 2000, 3000, 4000}, Verdict::kInconclusive, std::nullopt},
  };
  for (const auto& c : cases) {
    FakePrometheusApi api;
    api.on(canary, predictionBuckets(c.canary));
    api.on(stable, predictionBuckets(c.stable));
    const auto result = runAnalysis(request("drift"), api, clock_);
    const auto& m = result.metrics[0];
    EXPECT_EQ(m.verdict, c.verdict) << m.message;
    EXPECT_EQ(m.value.has_value(), c.psi.has_value());
    if (c.psi) {
      EXPECT_NEAR(*m.value, *c.psi, 1e-9);
    }
    EXPECT_NE(m.query.find("role=\"canary\""), std::string::npos);
    EXPECT_EQ(api.queries().size(), 3u);  // sample size + canary + stable
  }
}

TEST_F(ChecksTest, DriftEmptyStableIsNoDataAndBrokenHistogramIsError) {
  api_.on({"model_prediction_bucket", "role=\"canary\""}, predictionBuckets({1000}));
  EXPECT_EQ(runOne(request("drift")).verdict, Verdict::kInconclusive);

  FakePrometheusApi api;
  api.on({"model_prediction_bucket"}, byLabel("le", {{"0.5", 600}, {"1", 1000}}));  // no +Inf
  const auto result = runAnalysis(request("drift"), api, clock_);
  EXPECT_EQ(result.metrics[0].verdict, Verdict::kError);
  EXPECT_NE(result.metrics[0].message.find("+Inf"), std::string::npos);
}

TEST_F(ChecksTest, DriftOverrideReturnsPsiDirectly) {
  auto r = request("drift");
  r.spec.drift.query = "my_psi{rollout=\"{{rollout}}\"}";
  api_.on(kSampleSize, number(1000));
  api_.on({"my_psi"}, number(0.35));
  const auto m = runOne(r);
  EXPECT_EQ(m.verdict, Verdict::kFail);
  EXPECT_EQ(*m.value, 0.35);
}

TEST_F(ChecksTest, MaeVerdictTable) {
  struct Case {
    double canary_sum, canary_count, stable_sum, stable_count;
    Verdict verdict;
  } cases[] = {
      {600, 1000, 250, 1000, Verdict::kFail},          // 2.4x: 99% lower bound 1.16 > 0.1
      {300, 1000, 250, 1000, Verdict::kInconclusive},  // 1.2x: bounds [0.08, 0.29] hold 0.1
      {2600, 10000, 5000, 20000, Verdict::kPass},      // +4%: 95% upper bound 0.062 <= 0.1
      {30, 100, 250, 1000, Verdict::kInconclusive},    // canary labels below minSampleSize
      {300, 1000, 25, 100, Verdict::kInconclusive},    // stable labels below minSampleSize
      {300, 1000, 0, 1000, Verdict::kFail},            // stable MAE 0, canary not
  };
  for (const auto& c : cases) {
    FakePrometheusApi api;
    api.on({"model_absolute_error_sum"},
           byLabel("role", {{"canary", c.canary_sum}, {"stable", c.stable_sum}}));
    api.on({"model_absolute_error_count"},
           byLabel("role", {{"canary", c.canary_count}, {"stable", c.stable_count}}));
    const auto result = runAnalysis(request("maeDegradation"), api, clock_);
    const auto& m = result.metrics[0];
    EXPECT_EQ(m.verdict, c.verdict) << m.message;
    EXPECT_EQ(*m.sample_size, c.canary_count);
  }
}

TEST_F(ChecksTest, MaeValueAndMessage) {
  api_.on({"model_absolute_error_sum"}, byLabel("role", {{"canary", 600}, {"stable", 250}}));
  api_.on({"model_absolute_error_count"}, byLabel("role", {{"canary", 1000}, {"stable", 1000}}));
  const auto m = runOne(request("maeDegradation"));
  EXPECT_EQ(m.verdict, Verdict::kFail);
  EXPECT_NEAR(*m.value, 1.4, 1e-12);
  EXPECT_EQ(m.message,
            "MAE degradation 1.4 (canary MAE 0.6, stable MAE 0.25; 99% lower bound 1.163, 95% "
            "upper bound 1.583): lower bound > max 0.1");
}

TEST_F(ChecksTest, MaeIdenticalAtMinSampleSizeIsInconclusiveNotFail) {
  // +12% on 500 labels a side: the old point-estimate rule rolled this back.
  api_.on({"model_absolute_error_sum"}, byLabel("role", {{"canary", 56}, {"stable", 50}}));
  api_.on({"model_absolute_error_count"}, byLabel("role", {{"canary", 500}, {"stable", 500}}));
  const auto m = runOne(request("maeDegradation"));
  EXPECT_EQ(m.verdict, Verdict::kInconclusive) << m.message;
  EXPECT_NEAR(*m.value, 0.12, 1e-12);
}

TEST_F(ChecksTest, CustomMinAndMax) {
  struct Case {
    double value;
    Verdict verdict;
  } cases[] = {{0.5, Verdict::kPass},
               {0.95, Verdict::kFail},
               {0.05, Verdict::kFail},
               {kNaN, Verdict::kInconclusive}};
  for (const auto& c : cases) {
    auto r = request("");
    r.spec.custom.push_back({"gpu-mem", "gpu_mem{rollout=\"{{rollout}}\"}", 0.1, 0.9});
    FakePrometheusApi api;
    api.on(kSampleSize, number(1000));
    api.on({"gpu_mem"}, number(c.value));
    const auto result = runAnalysis(r, api, clock_);
    ASSERT_EQ(result.metrics.size(), 1u);
    EXPECT_EQ(result.metrics[0].name, "gpu-mem");
    EXPECT_EQ(result.metrics[0].threshold, ">= 0.1, <= 0.9");
    EXPECT_EQ(result.metrics[0].verdict, c.verdict) << result.metrics[0].message;
  }
}

TEST_F(ChecksTest, UnknownTemplateVariableIsErrorNamingIt) {
  auto r = request("");
  r.spec.custom.push_back({"bad", "x{pod=\"{{pod}}\"}", std::nullopt, 1.0});
  api_.on(kSampleSize, number(1000));
  const auto m = runOne(r);
  EXPECT_EQ(m.verdict, Verdict::kError);
  EXPECT_NE(m.message.find("{{pod}}"), std::string::npos);
  EXPECT_NE(m.message.find("configuration error"), std::string::npos);
}

TEST_F(ChecksTest, AllDefaultsQueryBudgetAndWorstVerdict) {
  AnalysisRequest r = request("errorRate");
  r.spec.latency_p99_ms.enabled = r.spec.drift.enabled = r.spec.mae_degradation.enabled = true;
  api_.on(kSampleSize, number(10000));
  api_.on(kErrors, number(5));                    // Pass
  api_.on({"histogram_quantile"}, number(kNaN));  // Inconclusive
  api_.on({"model_prediction_bucket", "role=\"canary\""}, predictionBuckets({400, 300, 200, 100}));
  api_.on({"model_prediction_bucket", "role=\"stable\""}, predictionBuckets({100, 200, 300, 400}));
  api_.on({"model_absolute_error_sum"}, Status(StatusCode::kInvalidArgument, "bad_data: x"));
  const auto result = runAnalysis(r, api_, clock_);
  ASSERT_EQ(result.metrics.size(), 4u);
  EXPECT_EQ(result.metrics[0].verdict, Verdict::kPass);
  EXPECT_EQ(result.metrics[1].verdict, Verdict::kInconclusive);
  EXPECT_EQ(result.metrics[2].verdict, Verdict::kFail);
  EXPECT_EQ(result.metrics[3].verdict, Verdict::kError);
  EXPECT_EQ(result.verdict, Verdict::kFail);  // Fail > Error > Inconclusive > Pass
  EXPECT_EQ(result.message.rfind("drift: PSI 0.9129", 0), 0u) << result.message;
  EXPECT_EQ(api_.queries().size(), 6u);  // mae stops after its failed first query
  EXPECT_EQ(result.canary_revision, "c2");
  EXPECT_EQ(result.step, 1);
  EXPECT_EQ(result.time, clock_.now());
}

TEST_F(ChecksTest, ErrorOutranksInconclusiveAndAllPassSummary) {
  std::vector<MetricResult> ms(3);
  ms[0].verdict = Verdict::kPass;
  ms[1].verdict = Verdict::kInconclusive;
  ms[2].verdict = Verdict::kError;
  ms[2].name = "drift";
  ms[2].message = "down";
  EXPECT_EQ(summarize(ms), "drift: down (Error)");
  ms[1].verdict = ms[2].verdict = Verdict::kPass;
  EXPECT_EQ(summarize(ms), "all 3 metrics passed");
}

TEST_F(ChecksTest, DefaultQueriesRenderAgainstContract) {
  // The request's selectors use namespace/rollout/role and never revision.
  api_.on(kSampleSize, number(1000));
  runAnalysis(request("latencyP99"), api_, clock_);
  const auto qs = api_.queries();
  ASSERT_EQ(qs.size(), 2u);
  EXPECT_EQ(qs[0],
            "sum(increase(model_requests_total{namespace=\"ml\",rollout=\"fraud\","
            "role=\"canary\"}[300s]))");
  EXPECT_EQ(qs[1],
            "histogram_quantile(0.99, sum by (le) (rate(model_request_duration_seconds_bucket{"
            "namespace=\"ml\",rollout=\"fraud\",role=\"canary\"}[300s]))) * 1000");
}

}  // namespace
}  // namespace mr::analysis
