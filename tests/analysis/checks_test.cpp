// Verdict tables of every check against a fake PrometheusApi answering the cumulative
// (since the canary revision started) default queries. The decisions follow
// src/analysis/sequential.h; the table cases were cross-checked with a python3 transcription
// of the same mixture (docs/analysis.md).
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
const std::vector<std::string> kLatency = {"model_request_duration_seconds_bucket"};

// Cumulative request-duration buckets (seconds) from per-bin counts.
QueryResult latencyBuckets(const std::vector<double>& per_bin) {
  static const char* les[] = {"0.025", "0.05", "0.1", "0.25", "0.5", "+Inf"};
  std::vector<std::pair<std::string, double>> values;
  double c = 0;
  for (size_t i = 0; i < 6; ++i) {
    c += i < per_bin.size() ? per_bin[i] : 0;
    values.push_back({les[i], c});
  }
  return byLabel("le", values);
}
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
      {20000, 5, Verdict::kPass},           // 0.025%: shown <= 0.1% on 20,000 requests
      {10000, 5, Verdict::kInconclusive},   // the same rate on half the traffic: not yet
      {10000, 10, Verdict::kInconclusive},  // exactly max: never shown either way
      {10000, 30, Verdict::kFail},          // 3x max on 10,000 requests
      {500, 2, Verdict::kInconclusive},     // issue 12 item 1: Wilson failed this
      {500, 0, Verdict::kInconclusive},     // issue 12 item 3: the point estimate passed this
      {450, 450, Verdict::kFail},           // issue 12 item 2: below minSampleSize, still harm
      {3, 3, Verdict::kFail},               // total failure needs no minimum sample
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
    ASSERT_TRUE(m.lower && m.upper);
    EXPECT_LE(*m.lower, *m.value);
    EXPECT_GE(*m.upper, *m.value);
    EXPECT_EQ(m.threshold, "<= 0.001");
    EXPECT_NE(m.query.find("code=~\"5..\""), std::string::npos);
    EXPECT_NE(m.query.find("revision=\"c2\""), std::string::npos);
    EXPECT_EQ(api.queries().size(), 2u);  // shared sample size + errors
  }
}

TEST_F(ChecksTest, ErrorRateMessagesSayWhatWouldDecide) {
  api_.on(kSampleSize, number(10000));
  api_.on(kErrors, number(30));
  auto m = runOne(request("errorRate"));
  EXPECT_EQ(m.verdict, Verdict::kFail);
  EXPECT_EQ(
      m.message.rfind("error rate 0.003 (30 of 1e+04 canary requests); anytime-valid bounds [", 0),
      0u)
      << m.message;
  EXPECT_NE(m.message.find(": > max 0.001"), std::string::npos) << m.message;
  EXPECT_EQ(result_.message, "errorRate: " + m.message + " (Fail)");

  FakePrometheusApi api;
  api.on(kSampleSize, number(500));
  api.on(kErrors, number(0));
  m = runAnalysis(request("errorRate"), api, clock_).metrics[0];
  EXPECT_EQ(m.verdict, Verdict::kInconclusive);
  EXPECT_NE(m.message.find("more requests at the observed rate would show it within"),
            std::string::npos)
      << m.message;
}

TEST_F(ChecksTest, RelativeErrorRateComparesWithStable) {
  auto r = request("errorRate");
  r.spec.error_rate.max_ratio = 1.5;
  api_.on({"model_requests_total", "!code=~", "role=\"canary\""}, number(50000));
  api_.on({"model_requests_total", "code=~", "role=\"canary\""}, number(500));
  api_.on({"model_requests_total", "!code=~", "role=\"stable\""}, number(50000));
  api_.on({"model_requests_total", "code=~", "role=\"stable\""}, number(100));
  const auto m = runOne(r);
  EXPECT_EQ(m.verdict, Verdict::kFail) << m.message;  // 1% vs 0.2%: 5x > 1.5x
  EXPECT_EQ(m.threshold, "canary/stable <= 1.5");
  EXPECT_EQ(api_.queries().size(), 4u);
}

TEST_F(ChecksTest, NoDataPolicyFailTurnsNoSamplesIntoFail) {
  auto r = request("errorRate");
  r.spec.on_no_data = NoDataPolicy::kFail;
  api_.on(kSampleSize, number(0));
  EXPECT_EQ(runOne(r).verdict, Verdict::kFail);
}

TEST_F(ChecksTest, MissingRequestMetricIsNoDataNotPass) {
  const auto m = runOne(request("errorRate"));
  EXPECT_EQ(m.verdict, Verdict::kInconclusive);
  EXPECT_NE(m.message.find("no canary requests yet"), std::string::npos) << m.message;
}

TEST_F(ChecksTest, ErrorRateOverrideIsAPointValue) {
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
  api_.on(kLatency, latencyBuckets({10000}));
  const auto result = runAnalysis(r, api_, clock_);
  EXPECT_EQ(result.metrics[0].verdict, Verdict::kError);
  EXPECT_EQ(result.metrics[1].verdict, Verdict::kPass) << result.metrics[1].message;
}

TEST_F(ChecksTest, LatencyJudgesTheSlowFractionFromBucketCounts) {
  struct Case {
    std::vector<double> bins;  // per bin: 25ms, 50ms, 100ms, 250ms, 500ms, +Inf
    Verdict verdict;
  } cases[] = {
      {{1000, 900, 100}, Verdict::kPass},            // none slower than 100ms, 2,000 requests
      {{600, 300, 90, 10}, Verdict::kInconclusive},  // exactly 1% slow: never shown either way
      {{500, 400, 60, 40}, Verdict::kFail},          // 4% slower than 100ms
      {{500, 400, 60, 0, 0, 40}, Verdict::kFail},    // slower than every bucket still counts
      {{}, Verdict::kInconclusive},                  // an empty histogram is no data
  };
  for (const auto& c : cases) {
    FakePrometheusApi api;
    api.on(kSampleSize, number(2000));
    api.on(kLatency, latencyBuckets(c.bins));
    const auto m = runAnalysis(request("latencyP99"), api, clock_).metrics[0];
    EXPECT_EQ(m.verdict, c.verdict) << m.message;
    EXPECT_EQ(m.threshold, "<= 100ms");
    EXPECT_NE(m.query.find("sum by (le) (increase(model_request_duration_seconds_bucket{"),
              std::string::npos);
  }
}

TEST_F(ChecksTest, LatencyMaxAtOrAboveTheTopBucketIsInvalidSpec) {
  // Issue 12 item 6: histogram_quantile cannot exceed the top finite bucket, so a slow canary
  // passed a maxMs at or above it.
  auto r = request("latencyP99");
  r.spec.latency_p99_ms.max = 600;
  api_.on(kSampleSize, number(2000));
  api_.on(kLatency, latencyBuckets({0, 0, 0, 0, 0, 2000}));
  const auto m = runOne(r);
  EXPECT_EQ(m.verdict, Verdict::kError);
  EXPECT_EQ(m.message.rfind(kInvalidSpecPrefix, 0), 0u) << m.message;
  EXPECT_NE(m.message.find("top finite bucket (500ms)"), std::string::npos) << m.message;
}

TEST_F(ChecksTest, LatencyBetweenBucketsIsConservativeBothWays) {
  auto r = request("latencyP99");
  r.spec.latency_p99_ms.max = 75;  // between the 50ms and 100ms bounds
  api_.on(kSampleSize, number(2000));
  api_.on(kLatency, latencyBuckets({1000, 900, 100}));  // 100 requests in (50ms, 100ms]
  const auto m = runOne(r);
  // Fewer than 1% are slower than 100ms, but 5% are slower than 50ms: neither is shown.
  EXPECT_EQ(m.verdict, Verdict::kInconclusive) << m.message;
  EXPECT_NE(m.message.find("slower than 50ms"), std::string::npos) << m.message;
}

TEST_F(ChecksTest, NotExportedDefaultMetricIsSkippedButAListedOneIsAwaited) {
  api_.on(kSampleSize, number(2000));
  auto m = runOne(request("latencyP99"));
  EXPECT_EQ(m.verdict, Verdict::kSkipped) << m.message;
  EXPECT_EQ(result_.verdict, Verdict::kInconclusive);  // nothing judged: never a Pass
  auto r = request("latencyP99");
  r.spec.latency_p99_ms.listed = true;
  m = runOne(r);
  EXPECT_EQ(m.verdict, Verdict::kInconclusive) << m.message;
}

TEST_F(ChecksTest, DriftVerdictTable) {
  const std::vector<std::string> canary = {"model_prediction_bucket", "role=\"canary\""};
  const std::vector<std::string> stable = {"model_prediction_bucket", "role=\"stable\""};
  struct Case {
    std::vector<double> canary, stable;
    Verdict verdict;
  } cases[] = {
      {{1000, 2000, 3000, 4000}, {1000, 2000, 3000, 4000}, Verdict::kPass},
      {{4000, 3000, 2000, 1000}, {1000, 2000, 3000, 4000}, Verdict::kFail},
      {{40, 30, 20, 10}, {1000, 2000, 3000, 4000}, Verdict::kInconclusive},  // 100 predictions
  };
  for (const auto& c : cases) {
    FakePrometheusApi api;
    api.on(canary, predictionBuckets(c.canary));
    api.on(stable, predictionBuckets(c.stable));
    const auto result = runAnalysis(request("drift"), api, clock_);
    const auto& m = result.metrics[0];
    EXPECT_EQ(m.verdict, c.verdict) << m.message;
    EXPECT_NE(m.query.find("role=\"canary\",revision=\"c2\""), std::string::npos);
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
    std::optional<double> canary_sq, stable_sq;
    Verdict verdict;
  } cases[] = {
      {600, 1000, 250, 1000, 400, 70, Verdict::kFail},             // 2.4x with the measured spread
      {300, 1000, 250, 1000, 200, 140, Verdict::kInconclusive},    // 1.2x, wide spread
      {20400, 200000, 20000, 200000, 4100, 4000, Verdict::kPass},  // +2% on 200,000 a side
      {30, 20, 250, 1000, 50, 70, Verdict::kInconclusive},         // 20 labels: too few
      {5, 500, 0, 500, 5, 0, Verdict::kInconclusive},  // 1 vs 0 errors: stable MAE 0 on 500
      {600, 1000, 250, 1000, std::nullopt, std::nullopt, Verdict::kFail},  // exponential model
  };
  for (const auto& c : cases) {
    FakePrometheusApi api;
    api.on({"model_absolute_error_sum"},
           byLabel("role", {{"canary", c.canary_sum}, {"stable", c.stable_sum}}));
    api.on({"model_absolute_error_count"},
           byLabel("role", {{"canary", c.canary_count}, {"stable", c.stable_count}}));
    if (c.canary_sq) {
      api.on({"model_absolute_error_squared_sum"},
             byLabel("role", {{"canary", *c.canary_sq}, {"stable", *c.stable_sq}}));
    }
    const auto result = runAnalysis(request("maeDegradation"), api, clock_);
    const auto& m = result.metrics[0];
    EXPECT_EQ(m.verdict, c.verdict) << m.message;
    EXPECT_EQ(*m.sample_size, c.canary_count);
    EXPECT_EQ(m.message.find("exponential") != std::string::npos,
              !c.canary_sq && c.canary_count >= 30)
        << m.message;
  }
}

TEST_F(ChecksTest, ZeroOneLossOfIdenticalVersionsIsNotFailed) {
  // Issue 12 item 4: 0/1 loss at 5% has sd 0.22 vs mean 0.05; the exponential model (sd =
  // mean) failed 18.7% of identical canaries. The squared sums carry the real spread.
  api_.on({"model_absolute_error_sum"}, byLabel("role", {{"canary", 60}, {"stable", 50}}));
  api_.on({"model_absolute_error_count"}, byLabel("role", {{"canary", 1000}, {"stable", 1000}}));
  api_.on({"model_absolute_error_squared_sum"}, byLabel("role", {{"canary", 60}, {"stable", 50}}));
  const auto m = runOne(request("maeDegradation"));
  EXPECT_EQ(m.verdict, Verdict::kInconclusive) << m.message;
  EXPECT_NEAR(*m.value, 0.2, 1e-12);
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
  api_.on(kSampleSize, number(30000));
  api_.on(kErrors, number(5));                            // Pass
  api_.on(kLatency, latencyBuckets({100, 100, 100, 5}));  // Inconclusive: 305 requests
  api_.on({"model_prediction_bucket", "role=\"canary\""},
          predictionBuckets({4000, 3000, 2000, 1000}));  // Fail
  api_.on({"model_prediction_bucket", "role=\"stable\""},
          predictionBuckets({1000, 2000, 3000, 4000}));
  api_.on({"model_absolute_error_count"}, Status(StatusCode::kInvalidArgument, "bad_data: x"));
  const auto result = runAnalysis(r, api_, clock_);
  ASSERT_EQ(result.metrics.size(), 4u);
  EXPECT_EQ(result.metrics[0].verdict, Verdict::kPass) << result.metrics[0].message;
  EXPECT_EQ(result.metrics[1].verdict, Verdict::kInconclusive) << result.metrics[1].message;
  EXPECT_EQ(result.metrics[2].verdict, Verdict::kFail) << result.metrics[2].message;
  EXPECT_EQ(result.metrics[3].verdict, Verdict::kError);
  EXPECT_EQ(result.verdict, Verdict::kFail);  // Fail > Error > Inconclusive > Pass
  EXPECT_EQ(result.message.rfind("drift: PSI ", 0), 0u) << result.message;
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

TEST_F(ChecksTest, DefaultQueriesSelectTheRevisionSinceItsEvidenceBegan) {
  // Issue 12 item 7: the queries ignored the revision label, so after a restart the first
  // checks read the previous canary's data; and they read a sliding window.
  auto r = request("latencyP99");
  r.evidence_since = clock_.now() - std::chrono::seconds(3600);
  api_.on(kSampleSize, number(1000));
  runAnalysis(r, api_, clock_);
  const auto qs = api_.queries();
  ASSERT_EQ(qs.size(), 2u);
  EXPECT_EQ(qs[0],
            "sum(increase(model_requests_total{namespace=\"ml\",rollout=\"fraud\","
            "role=\"canary\",revision=\"c2\"}[3600s]))");
  EXPECT_EQ(qs[1],
            "sum by (le) (increase(model_request_duration_seconds_bucket{namespace=\"ml\","
            "rollout=\"fraud\",role=\"canary\",revision=\"c2\"}[3600s]))");
}

}  // namespace
}  // namespace mr::analysis
