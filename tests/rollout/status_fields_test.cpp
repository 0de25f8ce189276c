// docs/api.md's status table, phase by phase through a whole rollout with analysis and a
// rollback: currentStep (0-based; len(steps) while promoting and after a promotion), the Step
// column (currentStepDisplay: 1-based, "3/3" while promoting, "-" without a canary),
// canaryRevision (empty when none runs), stepWeight (absent when none runs), stepsFingerprint,
// stepStartedAt (absent while waiting for canary pods), analysisSince (kept across the
// canary's steps), canaryWeight (as read back), rolledBackRevision.
#include "rollout/scale_status.h"
#include "tests/rollout/planner_harness.h"

namespace mr::rollout::testing {
namespace {

using analysis::Verdict;

std::string stepColumn(const Harness& h) {
  RolloutStatus s = h.status;
  setScaleStatus(s, {h.spec["selector"], "m", 4, static_cast<int>(h.spec["steps"].size())},
                 h.world);
  return s.current_step_display;
}

Harness withAnalysis() {
  Harness h;
  h.spec["analysis"] = {{"interval", "1m"}};
  h.deployStable();
  return h;
}

TEST(StatusFields, HealthyBeforeAnyCanary) {
  Harness h = withAnalysis();
  EXPECT_EQ(h.status.phase, Phase::kHealthy);
  EXPECT_EQ(h.status.stable_revision, revisionOf(h.spec));
  EXPECT_EQ(h.status.stable_revision.size(), 10u) << "10 hex";
  EXPECT_TRUE(h.status.canary_revision.empty());
  EXPECT_EQ(h.status.step_weight, 0) << "absent when no canary runs";
  EXPECT_FALSE(h.status.step_started_at.has_value());
  EXPECT_EQ(stepColumn(h), "-");
}

TEST(StatusFields, ThroughStepsPromotionAndAfter) {
  Harness h = withAnalysis();
  h.spec = withImage(h.spec, "m:2");
  h.pods_ready = false;
  h.step();  // CanaryStarted: waiting for the canary's pods
  EXPECT_EQ(h.status.canary_revision, revisionOf(h.spec));
  EXPECT_EQ(h.status.current_step, 0);
  EXPECT_FALSE(h.status.step_started_at.has_value()) << "absent while waiting for canary pods";
  EXPECT_EQ(stepColumn(h), "1/3");
  ASSERT_TRUE(h.status.analysis_since.has_value());
  const SystemTime since = *h.status.analysis_since;
  h.pods_ready = true;
  h.settle(h.world.canary);
  h.step();  // step 1 weighted
  ASSERT_TRUE(h.status.step_started_at.has_value());
  EXPECT_EQ(h.status.step_weight, 1);
  EXPECT_EQ(h.status.steps_fingerprint, stepsFingerprint(parseSpec(h.spec).spec->steps));
  h.step();
  EXPECT_EQ(h.status.canary_weight, 1) << "as read back from the router";

  // Step 2 (10%), then the last step (100%) and promotion.
  for (int step = 1; step <= 2; ++step) {
    h.now += step == 1 ? 1h + 1s : 2h + 1s;
    h.deliver(Verdict::kPass);
    for (int i = 0; i < 4 && h.status.current_step < step; ++i)
      h.step();
    for (int i = 0; i < 4 && !h.status.step_started_at; ++i)
      h.step();
    ASSERT_EQ(h.status.current_step, step) << dump(h.last);
    EXPECT_EQ(h.status.step_weight, step == 1 ? 10 : 100);
    EXPECT_EQ(stepColumn(h), std::to_string(step + 1) + "/3");
    EXPECT_EQ(h.status.analysis_since, since) << "kept across the canary's steps";
  }
  h.now += 2min;
  h.deliver(Verdict::kPass);
  for (int i = 0; i < 3 && h.status.phase != Phase::kPromoting; ++i)
    h.step();
  ASSERT_EQ(h.status.phase, Phase::kPromoting) << h.status.message;
  EXPECT_EQ(h.status.current_step, 3) << "len(steps) while promoting";
  EXPECT_EQ(h.status.step_weight, 100);
  EXPECT_EQ(stepColumn(h), "3/3") << "not a step beyond the last";
  for (int i = 0; i < 4 && h.status.phase != Phase::kHealthy; ++i)
    h.step();
  ASSERT_EQ(h.status.phase, Phase::kHealthy) << h.status.message;
  EXPECT_EQ(h.status.current_step, 3) << "len(steps) after a promotion";
  EXPECT_TRUE(h.status.canary_revision.empty());
  EXPECT_EQ(h.status.stable_revision, revisionOf(h.spec));
  EXPECT_EQ(h.status.step_weight, 0) << "absent when no canary runs";
  EXPECT_EQ(stepColumn(h), "-");
}

TEST(StatusFields, RollbackRecordsTheRevisionAndKeepsItFromRestarting) {
  Harness h = withAnalysis();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();
  h.now += 61s;
  h.deliver(Verdict::kFail);
  h.step();
  ASSERT_EQ(h.status.phase, Phase::kRolledBack);
  EXPECT_EQ(h.status.rolled_back_revision, revisionOf(h.spec));
  ASSERT_TRUE(h.status.last_analysis.has_value());
  EXPECT_EQ(h.status.last_analysis->verdict, "Fail");
  for (int i = 0; i < 3; ++i) {
    h.now += 1h;
    h.step();
    EXPECT_EQ(h.status.phase, Phase::kRolledBack) << "not restarted while the template hashes "
                                                     "to it";
    EXPECT_EQ(h.world.route_weight, 0);
  }
  EXPECT_EQ(stepColumn(h), "-");
}

}  // namespace
}  // namespace mr::rollout::testing
