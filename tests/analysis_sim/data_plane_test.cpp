// The pieces of the analysis simulation: the behaviours hit their targets, the data plane
// keeps exact cumulative counts, and the simulated Prometheus answers the real default queries
// (rendered by the real template code) with the data plane's increases.
#include "bench/analysis_sim/data_plane.h"

#include <gtest/gtest.h>

#include <cmath>

#include "analysis/default_queries.h"
#include "analysis/query_template.h"
#include "bench/analysis_sim/scenarios.h"
#include "bench/analysis_sim/simulated_prometheus.h"
#include "common/fake_clock.h"

namespace mr::analysis_sim {
namespace {

using std::chrono::seconds;

TEST(RoleBehaviour, LatencyAtP99OfTheMaxPutsOnePercentAboveIt) {
  RoleBehaviour b;
  b.latency_median_s = 0.02;
  b.latency_p99_s = 0.1;  // a bucket bound
  const auto p = b.latencyBucketProbabilities();
  double above = 0;
  for (std::size_t i = 5; i < p.size(); ++i)
    above += p[i];  // buckets above le=0.1
  EXPECT_NEAR(above, 0.01, 1e-9);
  double total = 0;
  for (double x : p)
    total += x;
  EXPECT_NEAR(total, 1.0, 1e-12);
}

TEST(RoleBehaviour, TiltReachesTheTargetPsi) {
  const auto p = basePredictionBins();
  for (double target : {0.2, 0.3})
    EXPECT_NEAR(psi(p, tiltToPsi(p, target)), target, 1e-9);
  EXPECT_EQ(tiltToPsi(p, 0), p);
}

TEST(RoleBehaviour, AbsoluteErrorMeansMatchTheScenarios) {
  EXPECT_NEAR((AbsErrorModel{AbsErrorKind::kZeroOne, 0.06, 1, 1}.mean()), 0.06, 1e-12);
  EXPECT_NEAR((AbsErrorModel{AbsErrorKind::kBeta, 1, 1.2, 3.8}.mean()) /
                  (AbsErrorModel{AbsErrorKind::kBeta, 1, 1.0, 4.0}.mean()),
              1.2, 1e-12);
}

struct Fixture {
  FakeClock clock;
  SystemTime start = clock.now();
  DataPlane plane{RoleBehaviour{}, RoleBehaviour{}, "s1", "c1", 100, start, 7};
  SimulatedPrometheus prom{plane, clock, 0, 1};

  std::string render(const char* text, const std::string& role, Millis elapsed) {
    analysis::TemplateVars v{"ns", "r",  role,           role == "canary" ? "c1" : "s1",
                             "s1", "c1", Millis(300000), elapsed};
    return *analysis::renderQuery(text, v);
  }
};

TEST(SimulatedPrometheus, AnswersTheDefaultQueriesWithIncreasesSinceTheRangeStart) {
  Fixture f;
  f.clock.advance(seconds(60));
  f.plane.advance(f.clock.now(), 10);
  const RoleCounters first = f.plane.total(Role::kCanary);
  f.clock.advance(seconds(60));
  f.plane.advance(f.clock.now(), 50);
  const RoleCounters all = f.plane.total(Role::kCanary);
  ASSERT_GT(first.requests, 0);

  auto requests =
      f.prom.query(f.render(analysis::default_queries::kRequests, "canary", seconds(60)));
  ASSERT_TRUE(requests.isOk()) << requests.status().toString();
  ASSERT_EQ(requests->samples.size(), 1u);
  EXPECT_EQ(requests->samples[0].value, all.requests - first.requests);

  auto buckets =
      f.prom.query(f.render(analysis::default_queries::kLatencyBuckets, "canary", seconds(120)));
  ASSERT_TRUE(buckets.isOk());
  ASSERT_EQ(buckets->samples.size(), kLatencyBuckets);
  EXPECT_EQ(buckets->samples.back().labels.at("le"), "+Inf");
  EXPECT_EQ(buckets->samples.back().value, all.requests);

  auto by_role = f.prom.query(
      f.render(analysis::default_queries::kAbsoluteErrorCount, "canary", seconds(120)));
  ASSERT_TRUE(by_role.isOk());
  EXPECT_EQ(by_role->samples.size(), 2u);
  for (const auto& s : by_role->samples) {
    const Role r = s.labels.at("role") == "canary" ? Role::kCanary : Role::kStable;
    EXPECT_EQ(s.value, f.plane.total(r).abs_count);
  }
  EXPECT_EQ(f.prom.unrecognised(), 0);
}

TEST(SimulatedPrometheus, OtherRevisionHasNoSeriesAndErrorsFallBackToZero) {
  Fixture f;
  f.clock.advance(seconds(60));
  f.plane.advance(f.clock.now(), 10);
  analysis::TemplateVars v{"ns", "r", "canary", "old", "s1", "old", Millis(300000), seconds(60)};
  auto q = f.prom.query(*analysis::renderQuery(analysis::default_queries::kRequests, v));
  ASSERT_TRUE(q.isOk());
  EXPECT_TRUE(q->samples.empty());
  auto e = f.prom.query(*analysis::renderQuery(analysis::default_queries::kServerErrors, v));
  ASSERT_TRUE(e.isOk());
  ASSERT_EQ(e->samples.size(), 1u);
  EXPECT_EQ(e->samples[0].value, 0);
}

TEST(SimulatedPrometheus, UnknownQueryIsAnErrorNotAGuess) {
  Fixture f;
  auto r = f.prom.query("sum(rate(http_requests_total[5m]))");
  EXPECT_FALSE(r.isOk());
  EXPECT_EQ(f.prom.unrecognised(), 1);
}

TEST(SimulatedPrometheus, FaultModeFailsAboutTheGivenFraction) {
  Fixture f;
  SimulatedPrometheus faulty(f.plane, f.clock, 0.1, 3);
  int failed = 0;
  for (int i = 0; i < 5000; ++i) {
    failed +=
        !faulty.query(f.render(analysis::default_queries::kRequests, "canary", seconds(1))).isOk();
  }
  EXPECT_NEAR(failed / 5000.0, 0.1, 0.015);
}

}  // namespace
}  // namespace mr::analysis_sim
