// Regression tests of issue 13 ("the controller never sends traffic it should not"), one per
// finding, through the planner harness: steps edited mid-canary, canary availability after a
// step started, own-revision availability (surge pods), durable rollbacks across a crash,
// template reverts during promotion, a missing route in a settled phase, an invalid spec
// mid-canary and replica-ratio weights that cannot be exact. The safety simulation's own
// findings are in planner_sim_findings_test.cpp.
#include "tests/rollout/planner_safety_fixture.h"

namespace mr::rollout::testing {
namespace {

using analysis::Verdict;

// Issue 13 finding 1: [1,10,50,100] at step index 2 edited to [50,100] promoted at once.
TEST(PlannerSafety, StepsEditedMidCanaryReenterAtTheCarriedWeightWithAFreshHold) {
  Harness h;
  canaryAtStep(h, 2);
  ASSERT_EQ(h.status.step_weight, 50);
  ASSERT_EQ(h.status.steps_fingerprint, stepsFingerprint(parseSpec(h.spec).spec->steps));
  const std::string canary = h.status.canary_revision;
  h.now += 30min;
  h.spec["steps"] = Json::parse(R"([{"weight": 50, "hold": "1h"}, {"weight": 100}])");
  Plan p = h.step();
  EXPECT_NE(p.status.phase, Phase::kPromoting) << dump(p);
  EXPECT_TRUE(actionsOf<EnsureStable>(p).empty() && afterStatusOf<EnsureStable>(p).empty())
      << "stable must not take the canary on a check made at 10%: " << dump(p);
  EXPECT_FALSE(anyWeightAbove(p, 50)) << dump(p);
  EXPECT_EQ(p.status.current_step, 0) << "the highest step at most the carried 50%";
  EXPECT_EQ(p.status.step_weight, 50);
  EXPECT_EQ(p.status.steps_fingerprint, stepsFingerprint(parseSpec(h.spec).spec->steps));
  EXPECT_EQ(p.status.step_started_at, h.now) << "a fresh hold";
  EXPECT_EQ(p.status.canary_revision, canary);
  EXPECT_TRUE(hasEvent(p, "StepsChanged")) << dump(p);
  // The old hold does not count: 59 minutes later the step is still held.
  h.now += 59min;
  p = h.step();
  EXPECT_EQ(p.status.current_step, 0);
  EXPECT_FALSE(anyWeightAbove(p, 50)) << dump(p);
  h.now += 1min;
  p = h.step();
  EXPECT_EQ(p.status.current_step, 1) << "then the rollout goes on";
}

TEST(PlannerSafety, StepsEditedBelowTheCarriedWeightLowerTheWeight) {
  Harness h;
  canaryAtStep(h, 2);  // 50%
  h.spec["steps"] = Json::parse(R"([{"weight": 5, "hold": "1h"}, {"weight": 100}])");
  Plan p = h.step();
  EXPECT_EQ(p.status.current_step, 0);
  EXPECT_EQ(allWeights(p), std::vector<SetWeight>{{5}}) << dump(p);
  EXPECT_EQ(h.world.route_weight, 5);
}

// Issue 13 finding 2: lost canary pods kept the step's weight on a Service without endpoints.
TEST(PlannerSafety, CanaryLosingPodsAfterStepStartLosesTheWeightAndRestartsTheHold) {
  Harness h;
  canaryAtStep(h, 1);  // 10% on 1 canary pod
  h.now += 10min;
  h.world.canary.ready_replicas = h.world.canary.available_replicas = 0;
  h.pods_ready = false;
  Plan p = h.step();
  EXPECT_EQ(allWeights(p), std::vector<SetWeight>{{0}})
      << "1% of the previous step needs the same pod: 0" << dump(p);
  EXPECT_EQ(p.status.canary_weight, 0);
  EXPECT_FALSE(p.status.step_started_at.has_value()) << "the hold restarts";
  EXPECT_EQ(p.status.current_step, 1);
  EXPECT_TRUE(hasEvent(p, "CanaryUnavailable")) << dump(p);
  p = h.step();
  EXPECT_TRUE(allWeights(p).empty()) << dump(p);
  EXPECT_FALSE(hasEvent(p, "CanaryUnavailable")) << "one Event";
  h.pods_ready = true;
  h.settle(h.world.canary);
  h.now += 1min;
  p = h.step();
  EXPECT_EQ(allWeights(p), std::vector<SetWeight>{{10}}) << dump(p);
  EXPECT_EQ(p.status.step_started_at, h.now);
}

TEST(PlannerSafety, CanaryScaledDownBelowTheStepFallsBackToThePreviousStep) {
  Harness h;
  h.spec["replicas"] = 10;
  canaryAtStep(h, 2);                                                     // 50% on 5 canary pods
  h.world.canary.ready_replicas = h.world.canary.available_replicas = 2;  // 3 pods lost
  h.pods_ready = false;
  Plan p = h.step();
  EXPECT_EQ(allWeights(p), std::vector<SetWeight>{{10}}) << "10% needs 1 pod" << dump(p);
  EXPECT_FALSE(p.status.step_started_at.has_value());
}

// Issue 13 finding 2, during promotion: the canary kept the last step's weight with no pods
// while stable was still rolling to its template.
TEST(PlannerSafety, CanaryLosingPodsDuringPromotionLosesItsWeight) {
  Harness h;
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();  // 1%
  h.annotations[kAnnotationPromote] = "full";
  h.pods_ready = false;
  h.step();  // Promoting; stable rolls to m:2
  ASSERT_EQ(h.status.phase, Phase::kPromoting);
  ASSERT_EQ(h.world.route_weight, 1);
  Plan p = h.step();
  EXPECT_TRUE(allWeights(p).empty()) << "covered: kept" << dump(p);
  h.world.canary.ready_replicas = h.world.canary.available_replicas = 0;
  p = h.step();
  EXPECT_EQ(allWeights(p), std::vector<SetWeight>{{0}}) << dump(p);
  EXPECT_EQ(p.status.phase, Phase::kPromoting);
}

// Issue 13 finding 3: an available pod of the old ReplicaSet counted as the canary's.
TEST(PlannerSafety, SurgePodOfTheOldReplicaSetIsNotCanaryAvailability) {
  Harness h;
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();  // m:2 at 1%
  h.spec = withImage(h.spec, "m:3");
  h.pods_ready = false;
  h.step();  // CanaryRestarted: weight 0, the canary Deployment rolls to m:3
  // The Deployment controller's view: 1 new pod not ready, the old pod still available.
  auto& c = h.world.canary;
  c.observed_generation = c.generation;
  c.total_replicas = 2;
  c.updated_replicas = 1;
  c.ready_replicas = c.available_replicas = 1;
  Plan p = h.step();
  EXPECT_TRUE(allWeights(p).empty()) << dump(p);
  EXPECT_FALSE(p.status.step_started_at.has_value());
  EXPECT_EQ(h.world.route_weight, 0);
  // The old pod gone and the new one available: now the step starts.
  c.total_replicas = 1;
  p = h.step();
  EXPECT_EQ(allWeights(p), std::vector<SetWeight>{{1}}) << dump(p);
}

// Issue 13 finding 4: weight 0 and the scale-down came before the status write, so a crash
// left the stored status at the step and the verdict in memory only; the restarted controller
// scaled the failed canary up again and gave it traffic.
TEST(PlannerSafety, RollbackIsStoredBeforeItActsAndSurvivesACrashAtAnyPoint) {
  Harness h = analysedCanary();
  h.now += 65s;
  h.deliver(Verdict::kFail);
  const Plan p = h.run();
  ASSERT_EQ(p.status.phase, Phase::kRolledBack) << dump(p);
  EXPECT_EQ(p.status.rolled_back_revision, h.status.canary_revision);
  ASSERT_TRUE(p.status.last_analysis.has_value());
  EXPECT_EQ(p.status.last_analysis->verdict, "Fail") << "the verdict is stored with it";
  EXPECT_TRUE(actionsOf<SetWeight>(p).empty() && actionsOf<ScaleCanary>(p).empty()) << dump(p);
  EXPECT_EQ(afterStatusOf<SetWeight>(p), std::vector<SetWeight>{{0}}) << dump(p);
  EXPECT_EQ(afterStatusOf<ScaleCanary>(p), std::vector<ScaleCanary>{{0}}) << dump(p);
  // Crash after every prefix of [actions..., status write, after_status...], then restart
  // without the in-memory verdict: the failed canary never gets more pods or traffic back.
  const size_t total = p.actions.size() + 1 + p.after_status.size();
  for (size_t cut = 0; cut <= total; ++cut) {
    Harness r = h;
    Plan partial = p;
    if (cut <= p.actions.size()) {
      partial.actions.resize(cut);
      partial.status = r.status;
      partial.after_status.clear();
    } else {
      partial.after_status.resize(cut - p.actions.size() - 1);
    }
    partial.actions.erase(
        std::remove_if(partial.actions.begin(), partial.actions.end(),
                       [](const Action& a) { return std::holds_alternative<RemoveAnnotation>(a); }),
        partial.actions.end());
    r.apply(partial);
    r.analysis.reset();  // restarted: the verdict lived only in memory
    r.in_flight = false;
    int replicas = r.world.canary.replicas;
    int weight = r.world.route_weight.value_or(0);
    for (int pass = 0; pass < 5; ++pass) {
      r.now += 10s;
      Plan q = r.step();
      for (const auto& e : actionsOf<EnsureCanary>(q.actions))
        EXPECT_LE(e.replicas, replicas) << "cut " << cut << " pass " << pass << dump(q);
      for (const auto& e : afterStatusOf<EnsureCanary>(q))
        EXPECT_LE(e.replicas, replicas) << "cut " << cut << " pass " << pass << dump(q);
      EXPECT_FALSE(anyWeightAbove(q, weight)) << "cut " << cut << " pass " << pass << dump(q);
      replicas = std::min(replicas, r.world.canary.replicas);
      weight = std::min(weight, r.world.route_weight.value_or(0));
    }
    if (cut > p.actions.size()) {
      EXPECT_EQ(r.status.phase, Phase::kRolledBack) << "cut " << cut;
      EXPECT_EQ(r.world.route_weight, 0) << "cut " << cut;
      EXPECT_EQ(r.world.canary.replicas, 0) << "cut " << cut;
    }
  }
}

// Found by e2e after the issue 13 fixes: every step advance that scaled the canary up dropped
// its weight to 0 for a pass (the Deployment controller had not yet observed the scale, so the
// canary looked unavailable): routes read 10 0 10 50 0 50 and every hold restarted.
TEST(PlannerSafety, ScalingTheCanaryForTheNextStepKeepsThePreviousWeightMeanwhile) {
  Harness h;
  h.spec["steps"] = Json::parse(R"([{"weight": 1, "hold": "1h"}, {"weight": 50, "hold": "1h"},
                                    {"weight": 100}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();
  ASSERT_TRUE(h.status.step_started_at.has_value());
  ASSERT_EQ(h.world.route_weight, 1);
  h.now += 1h + 1s;
  h.pods_ready = false;  // the new pod is not ready yet
  for (int pass = 0; pass < 4; ++pass) {
    h.step();
    if (h.world.canary.replicas == 2) {
      // The Deployment controller has not observed the scale-up yet: its status is the old one.
      h.world.canary.observed_generation = h.world.canary.generation - 1;
      h.world.canary.total_replicas = h.world.canary.updated_replicas = 1;
      h.world.canary.ready_replicas = h.world.canary.available_replicas = 1;
    }
    EXPECT_EQ(h.world.route_weight, 1) << "pass " << pass << dump(h.last);
  }
  EXPECT_EQ(h.status.current_step, 1);
  EXPECT_EQ(h.world.canary.replicas, 2);
  h.pods_ready = true;
  h.settle(h.world.canary);
  h.step();
  EXPECT_EQ(h.world.route_weight, 50);
}

// Found while merging issue 15 into issue 13's fixes: a rollback stored before its actions ran,
// then a spec that no longer parses (an edit, or a Prometheus address the platform's allow-list
// no longer accepts): the invalid-spec path did nothing, so the failed canary kept its traffic
// and pods for as long as the spec stayed invalid.
TEST(PlannerSafety, RollbackStoredThenAnInvalidSpecStillTakesTheCanaryOff) {
  Harness h = analysedCanary();
  h.now += 65s;
  h.deliver(Verdict::kFail);
  Plan p = h.run();
  ASSERT_EQ(p.status.phase, Phase::kRolledBack) << dump(p);
  Harness r = h;
  Plan stored = p;
  stored.after_status.clear();  // the process died right after the status write
  r.apply(stored);
  ASSERT_GT(r.world.route_weight.value_or(0), 0);
  ASSERT_GT(r.world.canary.replicas, 0);
  r.spec["steps"] = Json::array();  // now invalid
  r.now += 10s;
  r.step();
  EXPECT_EQ(r.status.phase, Phase::kDegraded);
  EXPECT_EQ(r.world.route_weight, 0);
  EXPECT_EQ(r.world.canary.replicas, 0);
}

// Issue 13 finding 5: the revert pointed traffic at a stable Deployment with few old pods and
// scaled the canary to 0 in the same pass.
TEST(PlannerSafety, TemplateRevertDuringPromotionKeepsTheCanaryUntilStableIsBack) {
  Harness h;
  const Json original = h.spec;
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();
  h.annotations[kAnnotationPromote] = "full";
  h.pods_ready = false;
  h.step();  // Promoting: stable rolls to m:2 (not ready)
  ASSERT_EQ(h.status.phase, Phase::kPromoting);
  const int weight = *h.world.route_weight;
  ASSERT_GT(weight, 0);
  h.spec = original;
  Plan p = h.step();
  ASSERT_EQ(actionsOf<EnsureStable>(p).size(), 1u) << dump(p);
  EXPECT_EQ(actionsOf<EnsureStable>(p)[0].revision, revisionOf(original));
  EXPECT_TRUE(actionsOf<ScaleCanary>(p).empty() && afterStatusOf<ScaleCanary>(p).empty())
      << dump(p);
  EXPECT_TRUE(allWeights(p).empty()) << dump(p);
  EXPECT_EQ(h.world.route_weight, weight);
  EXPECT_TRUE(hasEvent(p, "TemplateReverting")) << dump(p);
  p = h.step();  // old pods still starting
  EXPECT_TRUE(actionsOf<ScaleCanary>(p).empty() && afterStatusOf<ScaleCanary>(p).empty());
  EXPECT_TRUE(allWeights(p).empty()) << dump(p);
  EXPECT_FALSE(hasEvent(p, "TemplateReverting")) << "one Event";
  h.pods_ready = true;
  h.settle(h.world.stable);
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kRolledBack);
  EXPECT_EQ(p.status.history.back().reason, "TemplateReverted");
  EXPECT_EQ(h.world.route_weight, 0);
  EXPECT_EQ(h.world.canary.replicas, 0);
}

// Issue 13 finding 6: Degraded <-> Recovered every pass, flushing the 20-entry history.
TEST(PlannerSafety, MissingRouteWhileHealthyIsOneTransitionNotAFlipFlop) {
  Harness h;
  h.deployStable();
  const size_t history = h.status.history.size();
  h.world.route_exists = false;
  h.world.route_weight.reset();
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kDegraded);
  EXPECT_EQ(eventReasons(p), std::vector<std::string>{"RouteNotFound"});
  for (int i = 0; i < 4; ++i) {
    h.now += 30s;
    p = h.step();
    EXPECT_EQ(p.status.phase, Phase::kDegraded);
    EXPECT_TRUE(eventReasons(p).empty()) << "pass " << i << dump(p);
  }
  EXPECT_EQ(h.status.history.size(), history + 1);
  h.world.route_exists = true;
  h.world.route_weight = 0;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kHealthy);
  p = h.step();
  EXPECT_TRUE(eventReasons(p).empty());
  EXPECT_EQ(h.status.history.size(), history + 2);
}

TEST(PlannerSafety, MissingRouteAfterRollbackKeepsTheRollbackReason) {
  Harness h;
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();
  h.annotations[kAnnotationAbort] = "true";
  h.step();
  ASSERT_EQ(h.status.phase, Phase::kRolledBack);
  h.world.route_exists = false;
  h.world.route_weight.reset();
  for (int i = 0; i < 25; ++i) {
    h.now += 30s;
    h.step();
  }
  EXPECT_EQ(h.status.phase, Phase::kDegraded);
  bool aborted = false;
  for (const auto& e : h.status.history)
    aborted = aborted || e.reason == "Aborted";
  EXPECT_TRUE(aborted) << "the history keeps why the canary was rolled back";
  h.world.route_exists = true;
  h.world.route_weight = 0;
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kRolledBack);
  p = h.step();
  EXPECT_TRUE(eventReasons(p).empty());
}

TEST(PlannerSafety, AbortWhileTheRouteIsMissingIsRecordedOnceAndStaysQuiet) {
  Harness h;
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();
  h.world.route_exists = false;
  h.world.route_weight.reset();
  h.step();  // Degraded (RouteNotFound)
  h.annotations[kAnnotationAbort] = "true";
  Plan p = h.step();
  EXPECT_TRUE(hasEvent(p, "Aborted")) << dump(p);
  EXPECT_EQ(p.status.phase, Phase::kDegraded);
  const size_t history = h.status.history.size();
  for (int i = 0; i < 5; ++i) {
    h.now += 30s;
    p = h.step();
    EXPECT_TRUE(eventReasons(p).empty()) << "pass " << i << dump(p);
  }
  EXPECT_EQ(h.status.history.size(), history);
  EXPECT_EQ(h.status.history.back().reason, "Aborted");
}

// Issue 13 finding 11: an invalid spec froze traffic at the step's weight with no analysis.
TEST(PlannerSafety, InvalidSpecMidCanaryTakesTrafficOffTheCanaryAndResumesWithAFreshHold) {
  Harness h;
  canaryAtStep(h, 1);  // 10%
  const Json valid = h.spec;
  const int canary_replicas = h.world.canary.replicas;
  h.now += 10min;
  h.spec["selector"]["matchLabels"]["app"] = "other";  // no longer matches the template
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kDegraded);
  EXPECT_EQ(allWeights(p), std::vector<SetWeight>{{0}}) << dump(p);
  EXPECT_TRUE(actionsOf<ScaleCanary>(p).empty()) << "the canary pods are kept";
  EXPECT_EQ(h.world.canary.replicas, canary_replicas);
  EXPECT_EQ(p.status.canary_weight, 0);
  EXPECT_FALSE(p.status.step_started_at.has_value());
  p = h.step();
  EXPECT_TRUE(p.actions.empty()) << dump(p);
  h.spec = valid;
  h.now += 10min;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_EQ(p.status.current_step, 1);
  EXPECT_EQ(allWeights(p), std::vector<SetWeight>{{10}}) << dump(p);
  EXPECT_EQ(p.status.step_started_at, h.now) << "a fresh hold";
}

// Replica ratio realises canary pods / all pods: the 10% step of 2 replicas serves 1 of 3.
TEST(PlannerSafety, ReplicaRatioSaysWhenTheRealisedWeightDiffersFromTheStep) {
  Harness h;
  h.spec.erase("trafficRouting");
  h.spec["replicas"] = 2;
  h.spec["steps"] = Json::parse(R"([{"weight": 10, "hold": "1h"}, {"weight": 100}])");
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.world.route_weight = 33;  // what the router reports once the canary pod is ready
  Plan p = h.step();
  ASSERT_TRUE(hasEvent(p, "WeightApproximated")) << dump(p);
  for (const auto& e : actionsOf<RecordEvent>(p)) {
    if (e.reason == "WeightApproximated") {
      EXPECT_NE(e.message.find("33%"), std::string::npos) << e.message;
      EXPECT_NE(e.message.find("10%"), std::string::npos) << e.message;
    }
  }
  EXPECT_NE(p.status.message.find("33%"), std::string::npos) << p.status.message;
  h.now += 1min;
  p = h.step();
  EXPECT_FALSE(hasEvent(p, "WeightApproximated")) << "one Event per step";
  EXPECT_NE(p.status.message.find("33%"), std::string::npos) << p.status.message;
}

}  // namespace
}  // namespace mr::rollout::testing
