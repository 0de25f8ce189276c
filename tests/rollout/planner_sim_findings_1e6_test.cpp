// Regression tests of what the safety simulation found in the planner in 10^6 histories (seeds
// 20261130 and 1, docs/safety-sim.md "10^6 histories: triage"), one per finding, named after
// the bug and citing the seed that found it. The findings of the first 10^5 histories are in
// planner_sim_findings_test.cpp.
#include "tests/rollout/planner_safety_fixture.h"

namespace mr::rollout::testing {
namespace {

using analysis::Verdict;

// A canary at its 20% step whose route disappears while spec.steps is edited to 10/50/100: the
// pass re-enters at the 10% step (the setup of two findings in this file).
void canaryAt20WhileRouteGoneAndStepsLowered(Harness& h) {
  h.spec["replicas"] = 2;
  h.spec["steps"] = Json::parse(R"([{"weight": 20, "hold": "1h"}, {"weight": 100}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  runUntil(h, [&] { return h.status.step_started_at.has_value() && h.world.route_weight == 20; });
  ASSERT_EQ(h.world.route_weight, 20);
  h.world.route_exists = false;
  h.spec["steps"] = Json::parse(
      R"([{"weight": 10, "hold": "1h"}, {"weight": 50, "hold": "1h"}, {"weight": 100}])");
  h.step();
  ASSERT_EQ(h.status.step_weight, 10);
}

// Found by the safety simulation (I1, seed 21003604): the route was deleted at a 20% step,
// spec.steps was edited to start at 10% (re-entered at 10%, the stored canaryWeight still 20%),
// and promote=full arrived with the route recreated at 0%. The promotion put the stale 20% back
// on the route ("RouteDrift"), above the 10% step it was entered from.
TEST(PlannerSafety, PromotionNeverPutsBackAWeightAboveTheStepItWasEnteredFrom) {
  Harness h;
  canaryAt20WhileRouteGoneAndStepsLowered(h);
  if (::testing::Test::HasFatalFailure()) return;
  h.annotations[kAnnotationPromote] = "full";
  h.world.route_exists = true;
  h.world.route_weight = 0;
  h.pods_ready = false;  // the stable Deployment takes a while: the promotion waits
  for (int pass = 0; pass < 4; ++pass) {
    Plan p = h.step();
    EXPECT_FALSE(anyWeightAbove(p, 10)) << "pass " << pass << ":\n" << dump(p);
    h.now += 10s;
  }
  EXPECT_EQ(h.status.phase, Phase::kPromoting);
  EXPECT_LE(*h.world.route_weight, 10);
}

// Found by the safety simulation (I2, seed 20427869): at the last step (100%, hold 30s) someone
// lowered the route to 23%, and a Pass arrived after the hold: the planner put 100% back and
// promoted in the same pass, on evidence that was not gathered at the last step's weight. The
// hold starts again with the weight; a Pass after it promotes.
TEST(PlannerSafety, RouteLoweredBySomeoneElseRestartsTheHoldBeforeAnyPromotion) {
  Harness h;
  h.spec["analysis"] = {{"interval", "10s"}, {"failureLimit", 1}};
  h.spec["steps"] = Json::parse(R"([{"weight": 100, "hold": "30s"}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  runUntil(h, [&] { return h.status.step_started_at.has_value() && h.world.route_weight == 100; });
  ASSERT_TRUE(h.status.step_started_at.has_value());
  h.now += 31s;
  h.world.route_weight = 23;
  h.deliver(Verdict::kPass);
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing) << dump(p);
  EXPECT_EQ(h.world.route_weight, 100) << "the step's weight is put back";
  EXPECT_EQ(h.status.step_started_at, std::chrono::floor<std::chrono::seconds>(h.now))
      << "the hold starts again";
  h.now += 31s;
  h.deliver(Verdict::kPass);
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPromoting) << dump(p);
}

// Found by the safety simulation (I5, seed 20890803): an Inconclusive check after the hold
// started the inconclusive clock, then the user set spec.paused. The clock kept running while
// paused (updatePause moves it on resume, so it is meant to stop) and onInconclusiveLimit
// Rollback rolled the paused canary back 10 minutes later: a settled Paused rollout acted.
TEST(PlannerSafety, InconclusiveTimeoutDoesNotRunWhileSpecPaused) {
  Harness h;
  h.spec["analysis"] = {{"interval", "1m"},
                        {"failureLimit", 1},
                        {"inconclusiveTimeout", "10m"},
                        {"onInconclusiveLimit", "Rollback"}};
  h.spec["steps"] = Json::parse(R"([{"weight": 1, "hold": "1h"}, {"weight": 100}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();  // step 1 at 1%, hold 1h; leaving it needs a Pass (100% next)
  ASSERT_TRUE(h.status.step_started_at.has_value());
  h.now += 1h + 1s;
  h.deliver(Verdict::kInconclusive);
  h.step();
  ASSERT_TRUE(h.status.hold_extended_at.has_value());
  h.spec["paused"] = true;
  h.step();
  ASSERT_EQ(h.status.phase, Phase::kPaused);
  h.now += 1h;
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPaused) << "rolled back while paused: " << p.status.message;
  // Resumed, the clock goes on where it stopped: 10 minutes of Inconclusive still roll back.
  h.spec["paused"] = false;
  h.step();
  ASSERT_EQ(h.status.phase, Phase::kProgressing);
  h.now += 5min;
  h.deliver(Verdict::kInconclusive);
  h.step();
  EXPECT_EQ(h.status.phase, Phase::kProgressing) << "half the timeout";
  h.now += 6min;
  h.deliver(Verdict::kInconclusive);
  h.step();
  EXPECT_EQ(h.status.phase, Phase::kRolledBack) << h.status.message;
}

// Found by the safety simulation (I3, seeds 21202140 routed and 20706666 replica ratio): a
// rollback for a failed check was stored (the process died before its weight 0 and scale-down,
// or someone scaled the failed canary up again), then a newer template arrived while
// spec.paused was true. The paused new-template pass wrote the Services first, with the failed
// revision still serving; like RolledBack, it now takes its traffic and pods away first.
TEST(PlannerSafety, PausedNewTemplateTakesAFailedCanaryAwayBeforeAnyOtherWrite) {
  for (const bool routed : {true, false}) {
    SCOPED_TRACE(routed ? "Gateway API" : "replica ratio");
    Harness h = analysedCanary();
    if (!routed) h.spec.erase("trafficRouting");
    h.step();
    h.now += 2min;
    h.step();  // check started
    h.deliver(Verdict::kFail);
    Plan rollback = h.run();
    ASSERT_EQ(rollback.status.phase, Phase::kRolledBack) << dump(rollback);
    h.status = rollback.status;  // stored; the process dies before its after-status actions
    ASSERT_GT(h.world.canary.replicas, 0);
    h.spec = withImage(h.spec, "m:3");
    h.spec["paused"] = true;
    h.world.stable_service = false;  // something else to write in the next pass
    Plan p = h.run();
    ASSERT_EQ(p.status.phase, Phase::kPaused) << dump(p);
    const int scale = indexOf<ScaleCanary>(p);
    ASSERT_GE(scale, 0) << dump(p);
    EXPECT_LT(scale, indexOf<EnsureServices>(p)) << dump(p);
    if (routed) {
      const int weight = indexOf<SetWeight>(p);
      ASSERT_GE(weight, 0) << dump(p);
      EXPECT_LT(weight, indexOf<EnsureServices>(p)) << dump(p);
    }
  }
}

// Found by the safety simulation (I3, seed 20648811): a retry annotation set while the canary
// ran (not paused) was acknowledged without effect, and in the same pass a failed check rolled
// the canary back. Its removal came after the RolledBack status write; when it failed, the next
// pass read the same annotation as a retry of the revision that had just failed. An annotation
// acknowledged without effect is now removed first (the pass stops if that fails), before
// anything it could be read again against.
TEST(PlannerSafety, RetryIgnoredWhileACanaryRunsIsRemovedBeforeARollbackIsStored) {
  Harness h = analysedCanary();
  h.now += 2min;
  h.step();  // check started
  h.deliver(Verdict::kFail);
  h.annotations[kAnnotationRetry] = "true";  // set before the controller saw the Fail
  Plan p = h.run();
  ASSERT_EQ(p.status.phase, Phase::kRolledBack) << dump(p);
  ASSERT_FALSE(p.actions.empty());
  EXPECT_EQ(describe(p.actions.front()),
            "RemoveAnnotation{" + std::string(kAnnotationRetry) + ", ignored}")
      << "the ignored retry is removed first:\n"
      << dump(p);
  int removals = 0;
  for (const auto& r : actionsOf<RemoveAnnotation>(p))
    removals += r.key == kAnnotationRetry ? 1 : 0;
  EXPECT_EQ(removals, 1) << "not removed again after the status write:\n" << dump(p);
  h.apply(p);
  Plan next = h.step();
  EXPECT_EQ(next.status.phase, Phase::kRolledBack) << next.status.message;
}

// Found by the safety simulation (I1, replica ratio, seed 459404 of the --seed 1 run): at a 10%
// step of a 1-replica rollout (canaryWeight, the pods' share, 50%) someone scaled the canary to 10
// pods; spec.replicas went to 4, spec.steps to [100] and promote=full arrived. The promotion scaled
// the canary to 2 pods from the stored share before the status write, while the stored step
// allows 1 (replica ratio: pods are traffic).
TEST(PlannerSafety, ReplicaRatioPromoteFullKeepsNoMoreCanaryPodsThanTheStoredStepAllows) {
  Harness h;
  h.spec.erase("trafficRouting");
  h.spec["replicas"] = 1;
  h.spec["steps"] = Json::parse(
      R"([{"weight": 10, "hold": "1m"}, {"weight": 50, "hold": "1m"}, {"weight": 100}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  runUntil(h, [&] { return h.status.step_started_at.has_value(); });
  ASSERT_EQ(h.status.step_weight, 10);
  h.status.canary_weight = 50;  // what the replica-ratio router reports: 1 pod beside 1
  auto& d = h.world.canary;
  d.replicas = d.ready_replicas = d.available_replicas = d.updated_replicas = d.total_replicas = 10;
  h.world.route_weight = 91;
  h.spec["replicas"] = 4;
  h.spec["steps"] = Json::parse(R"([{"weight": 100, "hold": "30s"}])");
  h.annotations[kAnnotationPromote] = "full";
  Plan p = h.run();
  ASSERT_EQ(p.status.phase, Phase::kPromoting) << dump(p);
  const auto scales = actionsOf<ScaleCanary>(p);
  ASSERT_EQ(scales.size(), 1u) << dump(p);
  EXPECT_LE(scales[0].replicas, canaryReplicasFor(4, 10)) << dump(p);
}

// Found by the safety simulation (I4, seed 257766 of the --seed 1 run): abort and retry were set
// together while a Fail for step 1 was waiting in memory. The abort rolled back; the retry started
// the revision again at step 1, and the next pass consumed the earlier attempt's Fail (same
// revision, same step, no hold started yet) and rolled the retry back: the canary flipped up
// and down with no new event. Only checks of this attempt (since status.analysisSince) count.
TEST(PlannerSafety, RetriedCanaryIsNotJudgedByACheckOfTheAttemptBeforeIt) {
  Harness h = analysedCanary();
  h.now += 2min;
  h.step();  // check started
  h.deliver(Verdict::kFail);
  h.annotations[kAnnotationAbort] = "true";
  h.step();
  ASSERT_EQ(h.status.phase, Phase::kRolledBack);
  h.now += 10min;
  h.annotations[kAnnotationRetry] = "true";
  h.step();
  ASSERT_EQ(h.status.phase, Phase::kProgressing) << h.status.message;
  h.now += 10s;
  Plan p = h.step();  // the old Fail is still the newest result the analyzer has
  EXPECT_EQ(p.status.phase, Phase::kProgressing) << p.status.message;
}

// Found by the safety simulation (I4, seeds 102770632, 103152229, 104759508 of the 10^8 run):
// as above, but the Fail, the abort and the retry came within one second. Status times have
// one-second precision, so the old Fail's time equalled the retry's analysisSince and it still
// counted: the retried canary was rolled back again with no new event (canary pods, Service
// selector and phase up and down). A result names the attempt it was made for.
TEST(PlannerSafety, RetriedCanaryIsNotJudgedByAFailOfTheAttemptBeforeItInTheSameSecond) {
  Harness h = analysedCanary();
  h.now += 2min;
  h.step();  // check started
  ASSERT_TRUE(h.in_flight);
  h.deliver(Verdict::kFail);
  h.annotations[kAnnotationAbort] = "true";
  h.step();
  ASSERT_EQ(h.status.phase, Phase::kRolledBack);
  h.annotations[kAnnotationRetry] = "true";
  h.step();  // the same second
  ASSERT_EQ(h.status.phase, Phase::kProgressing) << h.status.message;
  ASSERT_EQ(h.status.analysis_since, h.now);
  for (int i = 0; i < 3; ++i) {
    h.now += 10s;
    Plan p = h.step();  // the old Fail is still the newest result the analyzer has
    EXPECT_EQ(p.status.phase, Phase::kProgressing) << dump(p);
  }
  // A Fail of this attempt still rolls it back.
  h.now += 2min;
  h.step();
  ASSERT_TRUE(h.in_flight);
  h.deliver(Verdict::kFail);
  EXPECT_EQ(h.step().status.phase, Phase::kRolledBack);
}

// Found by the safety simulation (I1, seed 102312037): at a 20% step the route was deleted and
// spec.steps edited to start at 10% (re-entered at 10%, canaryWeight kept at 20 by the route
// guard), then edited back to start at 20% and the route recreated at 78%. The re-entry brought
// the foreign weight down to the stale 20% before the status write, above the stored 10% step.
TEST(PlannerSafety, StepsReentryAfterAMissingRouteLowersAForeignWeightToTheStoredStep) {
  Harness h;
  canaryAt20WhileRouteGoneAndStepsLowered(h);
  if (::testing::Test::HasFatalFailure()) return;
  const Json twenty = Json::parse(R"([{"weight": 20, "hold": "1h"}, {"weight": 100}])");
  h.spec["steps"] = twenty;
  h.world.route_exists = true;
  h.world.route_weight = 78;
  Plan p = h.run();
  EXPECT_FALSE(anyWeightAbove(Plan{p.actions, p.status, {}, {}}, 10))
      << "above the stored step before the status write:\n"
      << dump(p);
}

}  // namespace
}  // namespace mr::rollout::testing
