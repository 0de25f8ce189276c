// spec.analysis.inconclusiveLimit (docs/api.md): a count of checks, deprecated, accepted and
// ignored: only inconclusiveTimeout starts onInconclusiveLimit, however many Inconclusive
// checks come before it.
#include "tests/rollout/planner_harness.h"

namespace mr::rollout::testing {
namespace {

using analysis::Verdict;

TEST(PlannerInconclusiveLimit, CountOfChecksIsIgnoredOnlyTheTimeoutApplies) {
  Harness h;
  h.spec["steps"] = Json::parse(R"([{"weight": 10, "hold": "1m"}, {"weight": 100}])");
  h.spec["analysis"] = {{"interval", "1m"},
                        {"inconclusiveLimit", 1},
                        {"inconclusiveTimeout", "30m"},
                        {"onInconclusiveLimit", "Rollback"}};
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();  // step 1 at 10%
  ASSERT_TRUE(h.status.step_started_at.has_value());
  // Step 1's hold ends; its next step is 100%, so it needs a Pass: Inconclusive extends it.
  for (int i = 0; i < 25; ++i) {
    h.now += 61s;
    h.deliver(Verdict::kInconclusive);
    h.step();
    ASSERT_EQ(h.status.phase, Phase::kProgressing) << "check " << i + 1 << ": " << h.status.message;
  }
  EXPECT_GE(h.status.consecutive_inconclusive, 25);
  // Past inconclusiveTimeout (30m after the first Inconclusive check past the hold): Rollback.
  for (int i = 0; i < 10 && h.status.phase == Phase::kProgressing; ++i) {
    h.now += 61s;
    h.deliver(Verdict::kInconclusive);
    h.step();
  }
  EXPECT_EQ(h.status.phase, Phase::kRolledBack) << h.status.message;
  EXPECT_EQ(h.status.history.back().reason, "InconclusiveLimit");
}

}  // namespace
}  // namespace mr::rollout::testing
