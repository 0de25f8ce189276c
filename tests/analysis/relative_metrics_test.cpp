// relativeTo: stable (docs/api.md, docs/analysis.md): errorRate judges canary rate / stable
// rate <= maxRatio, latencyP99 the fraction of requests slower than maxMs, canary / stable <=
// maxRatio; the query budget is docs/analysis.md's (1 shared + errorRate 3 or latencyP99 2),
// and a stable side with no samples is no data.
#include <gtest/gtest.h>

#include "analysis/checks.h"
#include "common/fake_clock.h"
#include "tests/analysis/fake_prometheus_api.h"

namespace mr::analysis {
namespace {

using testing::byLabel;
using testing::FakePrometheusApi;
using testing::number;

AnalysisRequest only(bool error_rate, bool latency, double max_ratio) {
  AnalysisRequest r;
  r.namespace_name = "ml";
  r.rollout = "fraud";
  r.stable_revision = "s1";
  r.canary_revision = "c2";
  r.spec.min_sample_size = 500;
  r.spec.error_rate.enabled = error_rate;
  r.spec.latency_p99_ms.enabled = latency;
  r.spec.drift.enabled = r.spec.mae_degradation.enabled = false;
  if (error_rate) r.spec.error_rate.max_ratio = max_ratio;
  if (latency) r.spec.latency_p99_ms.max_ratio = max_ratio;
  return r;
}

// Cumulative request-duration buckets (seconds): `fast` under 50 ms, `slow` between 100 and
// 250 ms; maxMs 100 is a bound, so "slower than 100 ms" is exactly `slow`.
QueryResult buckets(double fast, double slow) {
  return byLabel("le",
                 {{"0.05", fast}, {"0.1", fast}, {"0.25", fast + slow}, {"+Inf", fast + slow}});
}

const std::vector<std::string> kLatency = {"model_request_duration_seconds_bucket"};

TEST(RelativeMetricsTest, LatencyJudgesTheSlowFractionAgainstStable) {
  struct Case {
    double canary_slow, stable_slow;
    bool stable_exists;
    Verdict want;
    const char* why;
  } cases[] = {
      {1000, 200, true, Verdict::kFail, "5% vs 1% slow: ratio 5 > 1.5"},
      {200, 200, true, Verdict::kPass, "equal: ratio 1 <= 1.5 on 100,000 requests"},
      {200, 200, false, Verdict::kInconclusive, "no stable samples: no data"},
  };
  FakeClock clock;
  for (const auto& c : cases) {
    auto r = only(false, true, 1.5);
    FakePrometheusApi api;
    api.on({"model_requests_total", "!code=~"}, number(100000));
    api.on({kLatency[0], "role=\"canary\""}, buckets(100000 - c.canary_slow, c.canary_slow));
    if (c.stable_exists) {
      api.on({kLatency[0], "role=\"stable\""}, buckets(100000 - c.stable_slow, c.stable_slow));
    }
    const auto result = runAnalysis(r, api, clock);
    ASSERT_EQ(result.metrics.size(), 1u);
    const auto& m = result.metrics[0];
    EXPECT_EQ(verdictName(m.verdict), std::string(verdictName(c.want)))
        << c.why << ": " << m.message;
    EXPECT_EQ(m.threshold, "<= 100ms (slow fraction canary/stable <= 1.5)");
    EXPECT_EQ(api.queries().size(), 3u) << "shared sample size + canary and stable buckets";
  }
}

TEST(RelativeMetricsTest, ErrorRateWithinTheRatioPassesAndUsesThreeQueries) {
  auto r = only(true, false, 2.0);
  FakePrometheusApi api;
  for (const char* role : {"canary", "stable"}) {
    const std::string sel = std::string("role=\"") + role + "\"";
    api.on({"model_requests_total", "!code=~", sel}, number(200000));
    api.on({"model_requests_total", "code=~", sel}, number(200));
  }
  FakeClock clock;
  const auto result = runAnalysis(r, api, clock);
  ASSERT_EQ(result.metrics.size(), 1u);
  EXPECT_EQ(result.metrics[0].verdict, Verdict::kPass) << result.metrics[0].message;
  EXPECT_EQ(result.metrics[0].threshold, "canary/stable <= 2");
  // docs/analysis.md "Queries per check": 1 shared + errorRate 3 when relative.
  EXPECT_EQ(api.queries().size(), 4u);
}

}  // namespace
}  // namespace mr::analysis
