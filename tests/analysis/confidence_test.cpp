// spec.analysis.confidence, the one knob of docs/analysis.md: alpha = 1 - confidence; the harm
// side is split among the statistical metrics judged by their default queries (Bonferroni:
// alpha/m each), the within side is not; overrides and custom metrics are point values and do
// not count in m. And the documented sample size: 0 errors need about 5,300 requests to be
// shown within max 0.001 at 0.99 (at most 1/p0 * ln(14/alpha) ~ 7,200), about 2,800 at 0.9.
#include <gtest/gtest.h>

#include "analysis/checks.h"
#include "common/fake_clock.h"
#include "tests/analysis/fake_prometheus_api.h"

namespace mr::analysis {
namespace {

using testing::FakePrometheusApi;
using testing::number;

AnalysisRequest errorRateRequest(double confidence) {
  AnalysisRequest r;
  r.namespace_name = "ml";
  r.rollout = "fraud";
  r.stable_revision = "s1";
  r.canary_revision = "c2";
  r.spec.confidence = confidence;
  r.spec.min_sample_size = 500;
  return r;
}

// The levels the errorRate metric reports in its message: "(harm level H, within level W)".
std::string levelsOf(const AnalysisRequest& r) {
  FakePrometheusApi api;
  api.on({"model_requests_total", "!code=~"}, number(10000));
  api.on({"model_requests_total", "code=~"}, number(5));
  FakeClock clock;
  for (const auto& m : runAnalysis(r, api, clock).metrics) {
    if (m.name != "errorRate") continue;
    const auto at = m.message.find("(harm level");
    return at == std::string::npos ? m.message
                                   : m.message.substr(at, m.message.find(')', at) - at + 1);
  }
  return "no errorRate metric";
}

TEST(ConfidenceTest, HarmLevelIsSplitAmongTheStatisticalMetricsOnly) {
  auto all = errorRateRequest(0.99);
  EXPECT_EQ(levelsOf(all), "(harm level 0.0025, within level 0.01)") << "m = 4";
  auto alone = errorRateRequest(0.99);
  alone.spec.latency_p99_ms.enabled = alone.spec.drift.enabled = false;
  alone.spec.mae_degradation.enabled = false;
  alone.spec.custom.push_back({"gpu", "gpu_util", std::nullopt, 0.9});
  EXPECT_EQ(levelsOf(alone), "(harm level 0.01, within level 0.01)") << "custom is not in m";
  auto overridden = errorRateRequest(0.99);
  overridden.spec.drift.query = "my_psi";
  overridden.spec.mae_degradation.query = "my_mae";
  EXPECT_EQ(levelsOf(overridden), "(harm level 0.005, within level 0.01)") << "m = 2";
  auto lower = errorRateRequest(0.9);
  EXPECT_EQ(levelsOf(lower), "(harm level 0.025, within level 0.1)");
}

TEST(ConfidenceTest, ZeroErrorsNeedTheDocumentedRequestsAndFewerAtLowerConfidence) {
  struct Case {
    double confidence;
    double requests;
    Verdict want;
  } cases[] = {
      {0.99, 5200, Verdict::kInconclusive},
      {0.99, 5300, Verdict::kPass},
      {0.9, 2750, Verdict::kInconclusive},
      {0.9, 2850, Verdict::kPass},
  };
  FakeClock clock;
  for (const auto& c : cases) {
    auto r = errorRateRequest(c.confidence);
    r.spec.latency_p99_ms.enabled = r.spec.drift.enabled = r.spec.mae_degradation.enabled = false;
    FakePrometheusApi api;
    api.on({"model_requests_total", "!code=~"}, number(c.requests));
    api.on({"model_requests_total", "code=~"}, number(0));
    const auto m = runAnalysis(r, api, clock).metrics.at(0);
    EXPECT_EQ(verdictName(m.verdict), std::string(verdictName(c.want)))
        << "confidence " << c.confidence << ", 0/" << c.requests << ": " << m.message;
  }
}

}  // namespace
}  // namespace mr::analysis
