// What docs/analysis.md and docs/api.md promise about per-metric reports, seen through the
// planner: a default metric the model server does not export is Skipped with one
// MetricNotExported Warning Event (not one per check); latencyP99.maxMs outside the histogram's
// buckets is an Error whose rollout shows InvalidSpec=True (reason InvalidAnalysisSpec) with an
// Event, and, as any Error, decides nothing; the condition clears once the spec is usable.
#include "rollout/conditions.h"
#include "tests/rollout/planner_harness.h"

namespace mr::rollout::testing {
namespace {

using analysis::Verdict;

Harness canaryAtStepOne() {
  Harness h;
  h.spec["analysis"] = {{"interval", "1m"}};
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();  // step 1 at 1%, hold 1h
  EXPECT_TRUE(h.status.step_started_at.has_value());
  return h;
}

analysis::MetricResult metric(const std::string& name, Verdict v, const std::string& message) {
  analysis::MetricResult m;
  m.name = name;
  m.verdict = v;
  m.message = message;
  m.threshold = "<= 1";
  return m;
}

// A check for the current step and canary with these metrics, finished now.
void deliverMetrics(Harness& h, Verdict verdict, std::vector<analysis::MetricResult> metrics) {
  h.deliver(verdict);
  h.analysis->metrics = std::move(metrics);
}

int count(const Plan& p, const std::string& reason) {
  const auto r = eventReasons(p);
  return static_cast<int>(std::count(r.begin(), r.end(), reason));
}

TEST(PlannerMetricReports, NotExportedMetricIsReportedOnceNotPerCheck) {
  Harness h = canaryAtStepOne();
  const auto checks = {metric("errorRate", Verdict::kPass, "within"),
                       metric("drift", Verdict::kSkipped, "not exported for either role")};
  h.now += 61s;
  deliverMetrics(h, Verdict::kPass, checks);
  Plan p = h.step();
  EXPECT_EQ(count(p, "MetricNotExported"), 1) << ::testing::PrintToString(eventReasons(p));
  for (const auto& e : actionsOf<RecordEvent>(p)) {
    if (e.reason == "MetricNotExported") {
      EXPECT_EQ(e.type, "Warning");
      EXPECT_NE(e.message.find("drift"), std::string::npos) << e.message;
    }
  }
  ASSERT_TRUE(p.status.last_analysis.has_value());
  EXPECT_EQ(p.status.last_analysis->verdict, "Pass") << "a Skipped metric is ignored";
  for (int i = 0; i < 3; ++i) {
    h.now += 61s;
    deliverMetrics(h, Verdict::kPass, checks);
    p = h.step();
    EXPECT_EQ(count(p, "MetricNotExported"), 0) << "check " << i + 2;
  }
}

TEST(PlannerMetricReports, LatencyOutsideTheBucketsIsInvalidAnalysisSpecAndDecidesNothing) {
  Harness h = canaryAtStepOne();
  const std::string why = std::string(analysis::kInvalidSpecPrefix) +
                          "latencyP99.maxMs 5000 is at or above the histogram's top finite "
                          "bucket (2.5 s)";
  const auto checks = {metric("errorRate", Verdict::kPass, "within"),
                       metric("latencyP99", Verdict::kError, why)};
  h.now += 61s;
  deliverMetrics(h, Verdict::kError, checks);
  Plan p = h.step();
  EXPECT_EQ(count(p, "InvalidAnalysisSpec"), 1) << ::testing::PrintToString(eventReasons(p));
  const Condition* invalid = findCondition(p.status.conditions, kCondInvalidSpec);
  ASSERT_NE(invalid, nullptr);
  EXPECT_EQ(invalid->status, "True");
  EXPECT_EQ(invalid->reason, "InvalidAnalysisSpec");
  EXPECT_NE(invalid->message.find("latencyP99"), std::string::npos) << invalid->message;
  EXPECT_EQ(p.status.phase, Phase::kProgressing) << "an Error never decides anything";
  EXPECT_EQ(p.status.consecutive_failures, 0);

  // The same finding again: no second Event; past the hold nothing advances on an Error.
  h.now += 1h;
  deliverMetrics(h, Verdict::kError, checks);
  p = h.step();
  EXPECT_EQ(count(p, "InvalidAnalysisSpec"), 0);
  EXPECT_EQ(p.status.current_step, 0);
  EXPECT_EQ(p.status.phase, Phase::kProgressing);

  // Fixed (maxMs back inside the buckets): the condition clears with the next check.
  h.now += 61s;
  deliverMetrics(h, Verdict::kPass,
                 {metric("errorRate", Verdict::kPass, "within"),
                  metric("latencyP99", Verdict::kPass, "within")});
  p = h.step();
  invalid = findCondition(p.status.conditions, kCondInvalidSpec);
  ASSERT_NE(invalid, nullptr);
  EXPECT_EQ(invalid->status, "False");
}

}  // namespace
}  // namespace mr::rollout::testing
