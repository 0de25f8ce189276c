// status.stepEntry at its bound (review of issue 13's step entries, 2026-12-01): the CRD caps it
// at 2^53 - 1 (kMaxStepEntry), and the next hold start wraps to 1 instead of overflowing int64
// (undefined behaviour) or writing a value the API server refuses, which would leave the
// rollout unable to store any status.
#include "tests/rollout/planner_safety_fixture.h"

namespace mr::rollout::testing {
namespace {

using analysis::Verdict;

TEST(PlannerStepEntry, AtTheBoundTheNextHoldStartsAgainAtOneAndItsCheckStillDecides) {
  Harness h;
  h.spec["analysis"] = {{"interval", "10s"}, {"failureLimit", 1}};
  h.spec["steps"] = Json::parse(R"([{"weight": 100, "hold": "0s"}])");
  h.deployStable();
  h.status.step_entry = kMaxStepEntry;
  h.spec = withImage(h.spec, "m:2");
  runUntil(h, [&] { return h.status.step_started_at && h.world.route_weight == 100; });
  ASSERT_EQ(h.world.route_weight, 100);
  EXPECT_EQ(h.status.step_entry, 1) << "wrapped, not kMaxStepEntry + 1";
  runUntil(h, [&] { return h.in_flight; });
  ASSERT_TRUE(h.in_flight);
  EXPECT_EQ(h.request_entry, 1);
  h.deliver(Verdict::kPass);
  const Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPromoting) << dump(p);
}

TEST(PlannerStepEntry, AStoredValueOutsideTheBoundsAlsoStartsAgainAtOne) {
  for (const std::int64_t stored : {kMaxStepEntry + 5, std::int64_t{-3}}) {
    Harness h;
    h.spec["steps"] = Json::parse(R"([{"weight": 50, "hold": "1m"}, {"weight": 100}])");
    h.deployStable();
    h.status.step_entry = stored;
    h.spec = withImage(h.spec, "m:2");
    runUntil(h, [&] { return h.status.step_started_at.has_value(); });
    EXPECT_EQ(h.status.step_entry, 1) << "stored " << stored;
  }
}

}  // namespace
}  // namespace mr::rollout::testing
