// Regression tests of what the safety simulation (tests/safety, docs/safety-sim.md) found in
// the planner, one per finding, named after the bug and citing the seed that found it.
#include "tests/rollout/planner_safety_fixture.h"

namespace mr::rollout::testing {
namespace {

using analysis::Verdict;

// Found by the safety simulation (replica ratio, seed 20261218): the root Service selects every
// canary pod, so on CanaryRestarted the replaced revision's ready pods served while a rolling
// update (maxUnavailable 0 at 1 replica) kept them until the new pods were ready. The canary
// Deployment takes the new template at 0 replicas and scales up once no old pod is left.
TEST(PlannerSafety, ReplicaRatioRestartTakesTheReplacedCanaryPodsAwayFirst) {
  Harness h;
  h.spec.erase("trafficRouting");
  h.spec["steps"] = Json::parse(R"([{"weight": 10, "hold": "1h"}, {"weight": 100}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();
  ASSERT_EQ(h.world.canary.ready_replicas, 1);
  h.spec = withImage(h.spec, "m:3");
  Plan p = h.step();
  ASSERT_EQ(actionsOf<EnsureCanary>(p).size(), 1u) << dump(p);
  EXPECT_EQ(actionsOf<EnsureCanary>(p)[0].revision, revisionOf(h.spec));
  EXPECT_EQ(actionsOf<EnsureCanary>(p)[0].replicas, 0)
      << "the replaced revision's pods must leave the root Service first: " << dump(p);
  p = h.step();  // no pod of m:2 left
  ASSERT_EQ(actionsOf<EnsureCanary>(p).size(), 1u) << dump(p);
  EXPECT_EQ(actionsOf<EnsureCanary>(p)[0].replicas, 1) << dump(p);
}

// Found by the safety simulation (seed 20261313): someone raised the route above the step and
// promote=full arrived before the next pass; the pass that starts the promotion left the
// foreign weight on the route (64% at a 1% step).
TEST(PlannerSafety, PromoteFullPutsBackAWeightSomeoneElseRaised) {
  Harness h;
  canaryAtStep(h, 0);
  h.world.route_weight = 64;
  h.annotations[kAnnotationPromote] = "full";
  Plan p = h.step();
  ASSERT_EQ(p.status.phase, Phase::kPromoting) << dump(p);
  EXPECT_FALSE(anyWeightAbove(p, 1)) << dump(p);
  EXPECT_EQ(h.world.route_weight, 1) << dump(p);
}

// Found by the safety simulation (seed 20261776): an edit of spec.steps re-entered at a
// higher step (no step at or below the carried weight) and raised the route in the same pass,
// before the status naming the re-entered step was stored: a crash there left 50% on a route
// whose stored status says the 1% step.
TEST(PlannerSafety, StepsEditReentryRaisesTheWeightOnlyAfterTheStatusNamesTheStep) {
  Harness h;
  h.spec["replicas"] = 1;
  canaryAtStep(h, 0);
  h.spec["steps"] = Json::parse(R"([{"weight": 50, "hold": "1h"}, {"weight": 100}])");
  Plan p = h.run();
  ASSERT_EQ(p.status.step_weight, 50) << dump(p);
  EXPECT_FALSE(anyWeightAbove(Plan{p.actions, p.status, {}, {}}, 1))
      << "raised before the status write: " << dump(p);
  EXPECT_EQ(afterStatusOf<SetWeight>(p), std::vector<SetWeight>{{50}}) << dump(p);
}

// Found by the safety simulation (replica ratio, seed 20261204): CanaryStarted created the
// canary's pods before the status write; a crash there left them serving (replica ratio: pods
// are traffic) under a stored Healthy status.
TEST(PlannerSafety, ReplicaRatioCanaryPodsStartOnlyAfterTheStatusNamesTheStep) {
  Harness h;
  h.spec.erase("trafficRouting");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  Plan p = h.run();
  ASSERT_EQ(p.status.phase, Phase::kProgressing) << dump(p);
  for (const auto& e : actionsOf<EnsureCanary>(p))
    EXPECT_EQ(e.replicas, 0) << "before the status write: " << dump(p);
  ASSERT_EQ(afterStatusOf<EnsureCanary>(p).size(), 1u) << dump(p);
  EXPECT_EQ(afterStatusOf<EnsureCanary>(p)[0].replicas, 1) << dump(p);
}

// Found by the safety simulation (I5, seed 20261206): once a promotion passed its progress
// deadline, every pass rewrote Progressing=False/ProgressDeadlineExceeded with a new
// lastTransitionTime (finalizeConditions had just set it True), so the status was written
// every 10 s forever.
TEST(PlannerSafety, PromotionPastItsProgressDeadlineStopsWritingStatus) {
  Harness h;
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();  // CanaryStarted
  h.annotations[kAnnotationPromote] = "full";
  h.pods_ready = false;  // the stable Deployment never becomes available at m:2
  h.step();
  ASSERT_EQ(h.status.phase, Phase::kPromoting);
  h.now += 10s;
  h.step();
  h.now += 11min;
  Plan p = h.step();
  const Condition* c = findCondition(p.status.conditions, kCondProgressing);
  ASSERT_TRUE(c && c->reason == "ProgressDeadlineExceeded") << dump(p);
  h.now += 10s;
  h.step();
  h.now += 10s;
  p = h.run();
  EXPECT_EQ(p.status, h.status) << "a reported deadline is not written again: " << dump(p);
}

// Found by the safety simulation (replica ratio, seed 20261527): an invalid spec mid-canary
// takes a routed canary's weight away, but replica ratio's canary pods (its traffic) stayed,
// and so did pods someone else added, beyond the step, until the spec was valid again.
TEST(PlannerSafety, ReplicaRatioInvalidSpecMidCanaryTakesTheCanaryPodsAway) {
  Harness h;
  h.spec.erase("trafficRouting");
  h.spec["steps"] = Json::parse(R"([{"weight": 10, "hold": "1h"}, {"weight": 100}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();
  ASSERT_GT(h.world.canary.replicas, 0);
  h.spec["selector"]["matchLabels"]["app"] = "other";  // no longer matches the template
  Plan p = h.step();
  ASSERT_EQ(p.status.phase, Phase::kDegraded) << dump(p);
  EXPECT_EQ(actionsOf<ScaleCanary>(p), std::vector<ScaleCanary>{{0}}) << dump(p);
}

// Found by the safety simulation (seed 20261281): as above, but at a step whose weight was
// never set (its pods were not ready yet): the promotion kept someone else's 81% on a canary
// with no ready pod.
TEST(PlannerSafety, PromoteFullBeforeTheStepStartedPutsBackAForeignWeight) {
  Harness h;
  h.spec["steps"] = Json::parse(R"([{"weight": 100, "hold": "1h"}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.pods_ready = false;
  h.step();  // CanaryStarted, no canary pod ready
  ASSERT_FALSE(h.status.step_started_at.has_value());
  h.world.route_weight = 81;
  h.annotations[kAnnotationPromote] = "full";
  Plan p = h.step();
  ASSERT_EQ(p.status.phase, Phase::kPromoting) << dump(p);
  EXPECT_EQ(h.world.route_weight, 0) << dump(p);
}

// Found by the safety simulation (seed 20263564): promote=full at a started 100% step while a
// canary pod was lost: the promotion pass kept 100% on pods that no longer cover it.
TEST(PlannerSafety, PromoteFullWithTooFewCanaryPodsTakesTheWeightAway) {
  Harness h;
  h.spec["steps"] = Json::parse(R"([{"weight": 100, "hold": "1h"}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  runUntil(h, [&] { return h.status.step_started_at.has_value(); });
  ASSERT_EQ(h.world.route_weight, 100);
  h.pods_ready = false;
  h.world.canary.ready_replicas = h.world.canary.available_replicas = 3;  // 1 of 4 lost
  h.annotations[kAnnotationPromote] = "full";
  Plan p = h.step();
  ASSERT_EQ(p.status.phase, Phase::kPromoting) << dump(p);
  EXPECT_EQ(h.world.route_weight, 0) << dump(p);
}

// Found by the safety simulation (seed 20262836): someone raised the route to 79% at the 10%
// step, then spec.steps was edited: the re-entry took the foreign 79% as the carried weight and
// re-entered at 50%, a step the controller never gave the canary.
TEST(PlannerSafety, StepsEditAfterAForeignRouteRaiseReentersAtTheControllersWeight) {
  Harness h;
  canaryAtStep(h, 1);
  h.world.route_weight = 79;  // someone else
  h.spec["steps"] = Json::parse(R"([{"weight": 1, "hold": "2h"}, {"weight": 10, "hold": "2h"},
                                    {"weight": 50, "hold": "2h"}, {"weight": 100}])");
  Plan p = h.step();
  EXPECT_EQ(p.status.current_step, 1) << dump(p);
  EXPECT_EQ(p.status.step_weight, 10) << dump(p);
  EXPECT_LE(h.world.route_weight.value_or(0), 10) << dump(p);
}

// Found by the safety simulation (seeds 20265790, 20266137): with an invalid spec during a
// promotion the route is left alone (stable needs the canary), and so was a weight someone else
// raised meanwhile, on a canary whose pods do not cover it.
TEST(PlannerSafety, InvalidSpecDuringPromotionPutsBackAForeignWeight) {
  Harness h;
  canaryAtStep(h, 1);    // 10%
  h.pods_ready = false;  // stable does not become available at m:2
  h.annotations[kAnnotationPromote] = "full";
  h.step();
  ASSERT_EQ(h.status.phase, Phase::kPromoting);
  const int kept = h.status.canary_weight;
  ASSERT_LE(kept, 10);
  h.world.route_weight = 72;                           // someone else
  h.spec["selector"]["matchLabels"]["app"] = "other";  // invalid
  Plan p = h.step();
  ASSERT_EQ(p.status.phase, Phase::kDegraded) << dump(p);
  EXPECT_EQ(h.world.route_weight, kept) << dump(p);
}

// Found by the safety simulation (seed 20263598): someone raised the route to 38% at the 1%
// step, then spec.steps was edited; the re-entry lowered the route to the new step's 10% before
// the status naming that step was stored.
TEST(PlannerSafety, StepsEditReentryLowersAForeignWeightToTheStoredOneFirst) {
  Harness h;
  h.spec["replicas"] = 1;
  canaryAtStep(h, 0);         // 1%
  h.world.route_weight = 38;  // someone else
  h.spec["steps"] = Json::parse(R"([{"weight": 10, "hold": "1h"}, {"weight": 100}])");
  Plan p = h.run();
  ASSERT_EQ(p.status.step_weight, 10) << dump(p);
  EXPECT_FALSE(anyWeightAbove(Plan{p.actions, p.status, {}, {}}, 1))
      << "before the status write: " << dump(p);
  EXPECT_EQ(afterStatusOf<SetWeight>(p), std::vector<SetWeight>{{10}}) << dump(p);
}

// Found by the safety simulation (seed 20262639): a steps edit re-entered at 10% and scaled the
// canary from 2 pods to 1; the 0 s hold passed in the same pass and the advance to 50% counted
// the 2 pods this pass was removing: 50% on 1 pod.
TEST(PlannerSafety, AdvanceDoesNotCountPodsThePassIsRemoving) {
  Harness h;
  h.spec["steps"] = Json::parse(R"([{"weight": 10, "hold": "1h"}, {"weight": 50, "hold": "1h"},
                                    {"weight": 100}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  runUntil(h, [&] { return h.status.current_step == 1 && h.status.step_started_at; });
  ASSERT_EQ(h.world.canary.replicas, 2);
  h.world.route_weight = 10;  // as if the 50% never reached the route
  h.spec["steps"] = Json::parse(R"([{"weight": 10, "hold": "0s"}, {"weight": 50, "hold": "0s"},
                                    {"weight": 100}])");
  Plan p = h.step();
  const int top = h.world.route_weight.value_or(0);
  EXPECT_GE(h.world.canary.replicas, canaryReplicasFor(4, top))
      << top << "% on " << h.world.canary.replicas << " canary replicas: " << dump(p);
}

// Found by the safety simulation (replica ratio, seed 20264229): a new template waiting on
// spec.paused left canary pods someone else had started serving through the root Service.
TEST(PlannerSafety, PausedNewTemplateKeepsNoCanaryPods) {
  Harness h;
  h.spec.erase("trafficRouting");
  h.deployStable();
  h.world.canary.exists = true;  // someone else scaled a leftover canary up
  h.world.canary.revision = "old";
  h.world.canary.replicas = 1;
  h.spec = withImage(h.spec, "m:2");
  h.spec["paused"] = true;
  Plan p = h.step();
  ASSERT_EQ(p.status.phase, Phase::kPaused) << dump(p);
  EXPECT_EQ(actionsOf<ScaleCanary>(p), std::vector<ScaleCanary>{{0}}) << dump(p);
}

// Found by the safety simulation (I4, seed 20261166 and 34 more of 10^5): an edit of spec.steps
// re-entered at a step that needs fewer canary pods than the canary had and scaled it down; its
// 0 s hold passed in the same pass, and the next step, needing the pods again, scaled it back up
// in the next pass (3 -> 1 -> 3: pods killed and started again for nothing).
TEST(PlannerSafety, StepsEditReentryDecidedAtOnceDoesNotScaleTheCanaryDownAndUpAgain) {
  Harness h;
  h.spec["steps"] = Json::parse(R"([{"weight": 100, "hold": "1h"}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();  // CanaryStarted: 4 canary pods, ready at once; the step not started yet
  ASSERT_EQ(h.world.canary.replicas, 4);
  ASSERT_EQ(h.world.route_weight, 0);
  h.spec["steps"] = Json::parse(R"([{"weight": 10, "hold": "0s"}, {"weight": 50, "hold": "1h"},
                                    {"weight": 100}])");
  std::vector<int> replicas{h.world.canary.replicas};
  for (int i = 0; i < 3; ++i) {
    h.step();
    replicas.push_back(h.world.canary.replicas);
    h.now += 1s;
  }
  for (size_t i = 1; i + 1 < replicas.size(); ++i) {
    EXPECT_FALSE(replicas[i] < replicas[i - 1] && replicas[i + 1] > replicas[i])
        << "canary replicas " << replicas[i - 1] << " -> " << replicas[i] << " -> "
        << replicas[i + 1] << " with nothing in between";
  }
  EXPECT_EQ(h.status.current_step, 1);
  EXPECT_EQ(h.world.route_weight, 50);
  EXPECT_GE(h.world.canary.ready_replicas, canaryReplicasFor(4, 50));
}

// Found by the safety simulation (I1, replica ratio, seeds 20275295 and 20299051): an edit of
// spec.steps re-entered at a step with more canary pods than the stored one and, before the
// status naming it was stored, kept canary pods beyond the stored step: pods someone else had
// added, or (after spec.replicas was lowered) pods the stored step no longer allows. Replica
// ratio's canary pods are its traffic, so a crash there left more than the stored step.
TEST(PlannerSafety, ReplicaRatioStepsEditKeepsNoCanaryPodsBeyondTheStoredStepBeforeTheStatusWrite) {
  for (const bool foreign : {true, false}) {
    SCOPED_TRACE(foreign ? "someone else scaled the canary up" : "spec.replicas lowered");
    Harness h;
    h.spec.erase("trafficRouting");
    h.spec["replicas"] = foreign ? 4 : 10;
    h.spec["steps"] = Json::parse(R"([{"weight": 10, "hold": "1h"}, {"weight": 100}])");
    h.deployStable();
    h.spec = withImage(h.spec, "m:2");
    runUntil(h, [&] { return h.status.step_started_at.has_value(); });
    ASSERT_EQ(h.world.canary.replicas, 1);
    if (foreign) {
      h.applyDeployment(h.world.canary, h.world.canary.revision, 3);
    } else {
      h.spec["steps"] = Json::parse(R"([{"weight": 50, "hold": "1h"}, {"weight": 100}])");
      runUntil(h, [&] { return h.world.canary.ready_replicas == 5; });
      ASSERT_EQ(h.status.step_weight, 50);
      h.spec["replicas"] = 2;  // the stored 50% step now allows 1 canary pod
    }
    const int allowed = canaryReplicasFor(h.spec["replicas"].get<int>(), h.status.step_weight);
    h.spec["steps"] = Json::parse(R"([{"weight": 100, "hold": "1h"}])");
    Plan p = h.run();
    ASSERT_EQ(p.status.step_weight, 100) << dump(p);
    for (const auto& e : actionsOf<EnsureCanary>(p))
      EXPECT_LE(e.replicas, allowed) << "before the status write: " << dump(p);
    h.apply(p);
    EXPECT_EQ(h.world.canary.replicas, canaryReplicasFor(h.spec["replicas"].get<int>(), 100))
        << dump(p);
  }
}

// Found by the safety simulation (I4, seed 20272060): abort set after spec.template moved on to
// a newer revision while the older canary ran rolled back the older canary and remembered only
// that one, so the next pass started the newer template as a canary: the abort was ignored
// (and the canary Service flipped to no canary and back).
TEST(PlannerSafety, AbortAfterANewerTemplateDoesNotStartThatTemplate) {
  Harness h;
  canaryAtStep(h, 0);
  h.spec = withImage(h.spec, "m:3");
  h.annotations[kAnnotationAbort] = "true";
  Plan p = h.step();
  ASSERT_EQ(p.status.phase, Phase::kRolledBack) << dump(p);
  EXPECT_EQ(h.world.route_weight, 0);
  for (int i = 0; i < 3; ++i) {
    h.now += 10min;
    p = h.step();
    EXPECT_EQ(p.status.phase, Phase::kRolledBack) << dump(p);
    EXPECT_TRUE(p.status.canary_revision.empty()) << dump(p);
    EXPECT_EQ(h.world.canary.replicas, 0) << dump(p);
  }
  h.annotations[kAnnotationRetry] = "true";  // the user's way to run it after all
  p = h.step();
  EXPECT_EQ(p.status.canary_revision, revisionOf(h.spec)) << dump(p);
}

// Found by the safety simulation (I1 capacity, seed 20263168 and 18 more of 10^5): a promotion
// reverted (spec.template back to the old stable) and, while the stable Deployment was still
// rolling back with the promoted revision's pods serving, a newer template arrived: the canary
// restart pointed the stable Service at the old revision, of which no pod was ready yet
// (3 -> 0 endpoints behind 100% of the traffic).
TEST(PlannerSafety, NewerTemplateWhileARevertedPromotionRollsBackKeepsTheStablePodsServing) {
  Harness h;
  h.spec["steps"] = Json::parse(R"([{"weight": 50, "hold": "1h"}, {"weight": 100}])");
  h.deployStable();
  const std::string old_stable = h.status.stable_revision;
  const Json old_spec = h.spec;
  h.spec = withImage(h.spec, "m:2");
  h.step();  // CanaryStarted
  h.annotations[kAnnotationPromote] = "full";
  h.step();
  ASSERT_EQ(h.status.phase, Phase::kPromoting);
  ASSERT_EQ(h.world.stable.revision, revisionOf(h.spec));
  h.pods_ready = false;  // from now on the stable's new pods take their time
  h.spec = old_spec;     // revert: stable rolls back to the old template
  h.step();
  ASSERT_EQ(h.world.stable.revision, old_stable);
  ASSERT_EQ(ownAvailableReplicas(h.world.stable), 0) << "the promoted pods still serve";
  h.spec = withImage(old_spec, "m:3");  // a newer template meanwhile
  for (int i = 0; i < 2; ++i) {
    Plan p = h.step();
    ASSERT_EQ(p.status.canary_revision, revisionOf(h.spec)) << dump(p);
    for (const auto& e : actionsOf<EnsureServices>(p.actions))
      EXPECT_EQ(e.stable_revision, "") << "a stable selector with no ready pod: " << dump(p);
    for (const auto& e : actionsOf<EnsureServices>(p.after_status))
      EXPECT_EQ(e.stable_revision, "") << "a stable selector with no ready pod: " << dump(p);
    h.now += 10s;
  }
  h.pods_ready = true;  // the stable Deployment is back at the old revision
  h.settle(h.world.stable);
  Plan p = h.step();
  const auto services = actionsOf<EnsureServices>(p.actions);
  ASSERT_FALSE(services.empty()) << dump(p);
  EXPECT_EQ(services.back().stable_revision, old_stable) << dump(p);
}

// Found by the safety simulation (I1, seeds 20266462, 20357514): with an invalid spec during a
// promotion the route kept the canary's weight even once its own pods no longer covered it (a
// pod lost, or spec.replicas raised in the same edit), where a valid spec takes it away
// (promotionWeight): 100% on 9 of 10 pods.
TEST(PlannerSafety, InvalidSpecDuringPromotionTakesTheWeightFromACanaryWithoutThePods) {
  for (const bool lost_pod : {true, false}) {
    SCOPED_TRACE(lost_pod ? "a canary pod lost" : "spec.replicas raised");
    Harness h;
    h.spec["steps"] = Json::parse(R"([{"weight": 100, "hold": "1h"}])");
    h.deployStable();
    h.spec = withImage(h.spec, "m:2");
    runUntil(h, [&] { return h.status.step_started_at.has_value(); });
    ASSERT_EQ(h.world.route_weight, 100);
    h.pods_ready = false;  // stable does not become available at m:2
    h.annotations[kAnnotationPromote] = "full";
    h.step();
    ASSERT_EQ(h.status.phase, Phase::kPromoting);
    ASSERT_EQ(h.world.route_weight, 100);
    if (lost_pod) {
      h.world.canary.ready_replicas = h.world.canary.available_replicas = 3;  // 1 of 4 lost
    } else {
      h.spec["replicas"] = 8;
    }
    h.spec["selector"]["matchLabels"]["app"] = "other";  // invalid
    Plan p = h.step();
    ASSERT_EQ(p.status.phase, Phase::kDegraded) << dump(p);
    EXPECT_EQ(h.world.route_weight, 0) << dump(p);
    EXPECT_EQ(p.status.canary_weight, 0) << dump(p);
  }
}

// Found by the safety simulation (I3, replica ratio, seed 20295461): a rollback for a failed
// check was stored, then the lease moved before its ScaleCanary; the next leader's RolledBack
// pass wrote the Services first and scaled the failed canary (its pods are its traffic) only
// after that: every write of such a pass comes after the failed revision's traffic is gone.
TEST(PlannerSafety, RolledBackPassTakesTheFailedCanaryAwayBeforeAnyOtherWrite) {
  Harness h = analysedCanary();
  h.spec.erase("trafficRouting");
  h.step();
  h.now += 2min;
  h.step();  // check started
  h.deliver(Verdict::kFail);
  Plan rollback = h.run();
  ASSERT_EQ(rollback.status.phase, Phase::kRolledBack) << dump(rollback);
  h.status = rollback.status;  // stored; the process dies before its after-status actions
  ASSERT_GT(h.world.canary.replicas, 0);
  h.world.stable_service = false;  // something else to write in the next pass
  Plan p = h.run();
  const int scale = indexOf<ScaleCanary>(p);
  ASSERT_GE(scale, 0) << dump(p);
  EXPECT_LT(scale, indexOf<EnsureServices>(p)) << dump(p);
}

// Found by the safety simulation (I2, replica ratio, seed 20270261): replica ratio's weight is
// the ready pods' share, so with the only stable pod lost the router reported 100% at the 50%
// step; an edit of spec.steps took that as the carried weight, re-entered at the last (100%,
// 0 s hold) step and promoted a canary that never served it.
TEST(PlannerSafety, ReplicaRatioStepsEditReentersNoHigherThanTheStoredStep) {
  Harness h;
  h.spec.erase("trafficRouting");
  h.spec["replicas"] = 1;
  h.spec["steps"] = Json::parse(R"([{"weight": 50, "hold": "1h"}, {"weight": 100}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  runUntil(h, [&] { return h.status.step_started_at.has_value(); });
  ASSERT_EQ(h.status.step_weight, 50);
  h.world.stable.ready_replicas = h.world.stable.available_replicas = 0;  // stable pod lost
  h.world.route_weight = 100;  // the pods' share the router reports
  h.status.canary_weight = 100;
  h.spec["steps"] = Json::parse(R"([{"weight": 1, "hold": "0s"}, {"weight": 10, "hold": "0s"},
                                    {"weight": 50, "hold": "0s"}, {"weight": 100}])");
  Plan p = h.run();
  EXPECT_NE(p.status.phase, Phase::kPromoting) << dump(p);
  const auto events = actionsOf<RecordEvent>(p);
  ASSERT_FALSE(events.empty()) << dump(p);
  EXPECT_NE(events.front().message.find("re-entering at step 3/4"), std::string::npos) << dump(p);
}

// Found by the safety simulation (I5, seed 20263019): past inconclusiveTimeout, a Fail (below
// failureLimit) as the latest check cannot fire the timeout, yet every pass requeued for the
// timeout's past deadline: 0 ms requeues, a busy loop of passes until the next check was due.
TEST(PlannerSafety, PastInconclusiveTimeoutWithAFailLatestDoesNotRequeueAtOnce) {
  Harness h;
  h.spec["steps"] = Json::parse(R"([{"weight": 100, "hold": "1m"}])");
  h.spec["analysis"] = {{"interval", "1m"},
                        {"failureLimit", 2},
                        {"inconclusiveTimeout", "2m"},
                        {"onInconclusiveLimit", "Rollback"}};
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  runUntil(h, [&] { return h.status.step_started_at.has_value(); });
  h.now += 61s;
  h.step();  // hold elapsed: a check starts
  h.deliver(Verdict::kInconclusive);
  h.step();
  ASSERT_TRUE(h.status.hold_extended_at.has_value());
  h.now += 3min;  // past inconclusiveTimeout
  h.deliver(Verdict::kFail);
  Plan p = h.step();
  ASSERT_EQ(p.status.phase, Phase::kProgressing) << dump(p);
  ASSERT_TRUE(p.requeue_after.has_value());
  EXPECT_GT(*p.requeue_after, 0ms) << dump(p);
}
}  // namespace
}  // namespace mr::rollout::testing
