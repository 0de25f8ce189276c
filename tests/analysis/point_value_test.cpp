// Custom metrics and query overrides (point values, docs/analysis.md): judged min <= value <=
// max once the canary has minSampleSize requests; "no data" (onNoData's business) means no
// samples at all or a query with no value, not "fewer samples than minSampleSize"; and the
// template variables render as documented ({{window}} = spec.analysis.window, {{elapsed}} =
// time since status.analysisSince, the revisions and the side read).
#include <gtest/gtest.h>

#include "analysis/checks.h"
#include "common/fake_clock.h"
#include "tests/analysis/fake_prometheus_api.h"

namespace mr::analysis {
namespace {

using testing::empty;
using testing::FakePrometheusApi;
using testing::kNaN;
using testing::number;

const std::vector<std::string> kSampleSize = {"model_requests_total", "!code=~"};

AnalysisRequest customOnly(std::optional<double> min, std::optional<double> max) {
  AnalysisRequest r;
  r.namespace_name = "ml";
  r.rollout = "fraud";
  r.stable_revision = "s1";
  r.canary_revision = "c2";
  r.spec.min_sample_size = 500;
  r.spec.error_rate.enabled = r.spec.latency_p99_ms.enabled = false;
  r.spec.drift.enabled = r.spec.mae_degradation.enabled = false;
  r.spec.custom.push_back({"gpu", "gpu_util{rollout=\"{{rollout}}\"}", min, max});
  return r;
}

const char* name(Verdict v) {
  return verdictName(v);
}

// A value of NaN stands for "the query returned NaN", std::nullopt for an empty result.
struct Case {
  double requests;
  std::optional<double> value;
  NoDataPolicy on_no_data;
  Verdict want;
  const char* why;
};

TEST(PointValueTest, CustomMetricVerdictTable) {
  const auto kIncl = NoDataPolicy::kInconclusive;
  const auto kFailP = NoDataPolicy::kFail;
  const Case cases[] = {
      {1000, 0.5, kIncl, Verdict::kPass, "within, enough requests"},
      {1000, 0.95, kIncl, Verdict::kFail, "above max"},
      {1000, 0.05, kIncl, Verdict::kFail, "below min"},
      {1000, 0.9, kIncl, Verdict::kPass, "max is inclusive"},
      {1000, 0.1, kIncl, Verdict::kPass, "min is inclusive"},
      {0, 0.5, kIncl, Verdict::kInconclusive, "no requests: no data"},
      {0, 0.5, kFailP, Verdict::kFail, "no requests: no data, onNoData: Fail"},
      {1000, std::nullopt, kIncl, Verdict::kInconclusive, "empty result: no data"},
      {1000, std::nullopt, kFailP, Verdict::kFail, "empty result, onNoData: Fail"},
      {1000, kNaN, kFailP, Verdict::kFail, "NaN, onNoData: Fail"},
      {100, 0.5, kIncl, Verdict::kInconclusive, "below minSampleSize"},
      {100, 0.95, kIncl, Verdict::kInconclusive, "below minSampleSize, a point value"},
      // Samples exist, only fewer than minSampleSize: that is not "no data", so onNoData does
      // not apply (it rolled back a canary at its first check).
      {100, 0.5, kFailP, Verdict::kInconclusive, "below minSampleSize is not no data"},
      {100, 0.95, kFailP, Verdict::kInconclusive, "below minSampleSize is not no data"},
  };
  FakeClock clock;
  for (const auto& c : cases) {
    auto r = customOnly(0.1, 0.9);
    r.spec.on_no_data = c.on_no_data;
    FakePrometheusApi api;
    api.on(kSampleSize, number(c.requests));
    if (c.value)
      api.on({"gpu_util"}, number(*c.value));
    else
      api.on({"gpu_util"}, empty());
    const auto result = runAnalysis(r, api, clock);
    ASSERT_EQ(result.metrics.size(), 1u);
    EXPECT_EQ(name(result.metrics[0].verdict), std::string(name(c.want)))
        << c.why << ": " << result.metrics[0].message;
  }
}

TEST(PointValueTest, MinOnlyAndMaxOnly) {
  FakeClock clock;
  for (const auto& [min, max, value, want] :
       std::vector<std::tuple<std::optional<double>, std::optional<double>, double, Verdict>>{
           {0.8, std::nullopt, 0.9, Verdict::kPass},
           {0.8, std::nullopt, 0.7, Verdict::kFail},
           {std::nullopt, 0.8, 0.7, Verdict::kPass},
           {std::nullopt, 0.8, 0.9, Verdict::kFail}}) {
    auto r = customOnly(min, max);
    FakePrometheusApi api;
    api.on(kSampleSize, number(1000));
    api.on({"gpu_util"}, number(value));
    const auto m = runAnalysis(r, api, clock).metrics.at(0);
    EXPECT_EQ(m.verdict, want) << m.threshold << " value " << value << ": " << m.message;
  }
}

TEST(PointValueTest, OverrideBelowMinSampleSizeIsInconclusiveUnderOnNoDataFail) {
  AnalysisRequest r = customOnly(0, 1);
  r.spec.custom.clear();
  r.spec.error_rate.enabled = true;
  r.spec.error_rate.query = "my_error_ratio{app=\"{{rollout}}\"}";
  r.spec.on_no_data = NoDataPolicy::kFail;
  FakePrometheusApi api;
  api.on(kSampleSize, number(100));
  api.on({"my_error_ratio"}, number(0.0));
  FakeClock clock;
  const auto m = runAnalysis(r, api, clock).metrics.at(0);
  EXPECT_EQ(m.verdict, Verdict::kInconclusive) << m.message;
  EXPECT_NE(m.message.find("minSampleSize 500"), std::string::npos) << m.message;
}

TEST(PointValueTest, TemplateVariablesRenderAsDocumented) {
  FakeClock clock;
  auto r = customOnly(std::nullopt, 1);
  r.spec.window = std::chrono::minutes(10);
  r.spec.custom[0].query =
      "x{ns=\"{{namespace}}\",r=\"{{rollout}}\",role=\"{{role}}\",rev=\"{{revision}}\"}"
      "[{{window}}] / y{s=\"{{stableRevision}}\",c=\"{{canaryRevision}}\"}[{{ elapsed }}]";
  r.evidence_since = clock.now() - std::chrono::hours(1);
  FakePrometheusApi api;
  api.on(kSampleSize, number(1000));
  auto m = runAnalysis(r, api, clock).metrics.at(0);
  EXPECT_EQ(m.query,
            "x{ns=\"ml\",r=\"fraud\",role=\"canary\",rev=\"c2\"}[600s] / "
            "y{s=\"s1\",c=\"c2\"}[3600s]");
  // Without a start of evidence, {{elapsed}} falls back to the window.
  r.evidence_since.reset();
  m = runAnalysis(r, api, clock).metrics.at(0);
  EXPECT_NE(m.query.find("[600s] / "), std::string::npos) << m.query;
  EXPECT_EQ(m.query.substr(m.query.size() - 6), "[600s]") << m.query;
}

}  // namespace
}  // namespace mr::analysis
