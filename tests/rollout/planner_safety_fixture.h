// Shared fixture of the planner's safety regression tests (issue 13 and the safety
// simulation's findings, docs/safety-sim.md): helpers that bring the planner harness to a
// canary at a given step and look at the weights a plan sets.
#pragma once

#include "rollout/conditions.h"
#include "tests/rollout/planner_harness.h"

namespace mr::rollout::testing {

// Runs passes (advancing the clock by each requeue) until `done` or `max` passes.
template <typename Pred>
inline void runUntil(Harness& h, Pred done, int max = 20) {
  for (int i = 0; i < max && !done(); ++i) {
    Plan p = h.step();
    if (p.requeue_after) h.now += *p.requeue_after;
  }
}

inline Json fourSteps() {
  return Json::parse(R"([{"weight": 1, "hold": "1h"}, {"weight": 10, "hold": "1h"},
                         {"weight": 50, "hold": "1h"}, {"weight": 100}])");
}

// Canary of m:2 holding step `k` of fourSteps() with its weight on the route.
inline void canaryAtStep(Harness& h, int k) {
  h.spec["steps"] = fourSteps();
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  runUntil(h, [&] {
    return h.status.current_step == k && h.status.step_started_at.has_value() &&
           h.world.route_weight == fourSteps()[k]["weight"].get<int>();
  });
  ASSERT_EQ(h.status.current_step, k);
  ASSERT_TRUE(h.status.step_started_at.has_value());
}

inline bool anyWeightAbove(const Plan& p, int limit) {
  for (const auto& w : allWeights(p)) {
    if (w.percent > limit) return true;
  }
  return false;
}

// A canary of m:2 with analysis (interval 1m, failureLimit 1) at step 1 (1%).
inline Harness analysedCanary() {
  Harness h;
  h.spec["analysis"] = {{"interval", "1m"}, {"failureLimit", 1}};
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();  // step 1 at 1%
  return h;
}

}  // namespace mr::rollout::testing
