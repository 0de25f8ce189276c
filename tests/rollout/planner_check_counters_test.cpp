// docs/api.md's check counters, verdict by verdict: consecutiveFailures (Pass and Inconclusive
// reset it; Error leaves it), consecutiveInconclusive (Pass and Fail reset it; Errors leave
// it), consecutiveErrors (any judged check resets it); and the inconclusive policy being a
// time, a canary flapping between Fail and Inconclusive still reaches it.
#include "tests/rollout/planner_harness.h"

namespace mr::rollout::testing {
namespace {

using analysis::Verdict;

TEST(PlannerCheckCounters, EachVerdictMovesTheCountersAsDocumented) {
  Harness h;
  h.spec["steps"] = Json::parse(R"([{"weight": 10, "hold": "24h"}, {"weight": 100}])");
  h.spec["analysis"] = {{"interval", "1m"}, {"failureLimit", 100}};
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();
  ASSERT_TRUE(h.status.step_started_at.has_value());
  struct Row {
    Verdict verdict;
    int failures, inconclusive, errors;
  } rows[] = {
      {Verdict::kFail, 1, 0, 0},         {Verdict::kError, 1, 0, 1},
      {Verdict::kFail, 2, 0, 0},         {Verdict::kInconclusive, 0, 1, 0},
      {Verdict::kError, 0, 1, 1},        {Verdict::kError, 0, 1, 2},
      {Verdict::kInconclusive, 0, 2, 0}, {Verdict::kFail, 1, 0, 0},
      {Verdict::kInconclusive, 0, 1, 0}, {Verdict::kPass, 0, 0, 0},
  };
  int i = 0;
  for (const auto& r : rows) {
    h.now += 2min;
    h.deliver(r.verdict);
    h.step();
    ++i;
    ASSERT_EQ(h.status.phase, Phase::kProgressing) << "check " << i << ": " << h.status.message;
    EXPECT_EQ(h.status.consecutive_failures, r.failures) << "check " << i;
    EXPECT_EQ(h.status.consecutive_inconclusive, r.inconclusive) << "check " << i;
    EXPECT_EQ(h.status.consecutive_errors, r.errors) << "check " << i;
  }
}

// docs/lifecycle.md: a canary flapping between Fail and Inconclusive below failureLimit reaches
// onInconclusiveLimit after inconclusiveTimeout instead of running forever.
TEST(PlannerCheckCounters, FlappingFailAndInconclusiveReachesTheInconclusivePolicy) {
  Harness h;
  h.spec["steps"] = Json::parse(R"([{"weight": 10, "hold": "5m"}, {"weight": 100}])");
  h.spec["analysis"] = {{"interval", "1m"}, {"failureLimit", 3}, {"inconclusiveTimeout", "10m"}};
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();
  ASSERT_TRUE(h.status.step_started_at.has_value());
  h.now += 5min;
  for (int i = 0; i < 20 && h.status.phase == Phase::kProgressing; ++i) {
    h.now += 1min;
    h.deliver(i % 2 ? analysis::Verdict::kFail : analysis::Verdict::kInconclusive);
    h.step();
  }
  EXPECT_EQ(h.status.phase, Phase::kPaused) << h.status.message;
  EXPECT_TRUE(h.status.analysis_paused);
}

}  // namespace
}  // namespace mr::rollout::testing
