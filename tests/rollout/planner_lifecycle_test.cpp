// Transition-table tests of the planner without analysis: first deploy, new template, holds,
// advance, promotion, pause/resume, promote, abort, retry, reverted and newer templates,
// deleted objects, the object deleted, invalid spec, route drift and a missing route.
#include "rollout/conditions.h"
#include "tests/rollout/planner_harness.h"

namespace mr::rollout::testing {
namespace {

// Runs passes until the canary's first step has its weight set.
void startCanary(Harness& h, const std::string& image = "m:2") {
  h.deployStable();
  h.spec = withImage(h.spec, image);
  h.step();  // CanaryStarted
  h.step();  // canary available -> weight of step 1
}

TEST(PlannerLifecycle, FirstDeployCreatesStableDirectly) {
  Harness h;
  Plan p = h.run();
  const std::string rev = revisionOf(h.spec);
  ASSERT_EQ(actionsOf<EnsureStable>(p).size(), 1u) << dump(p);
  EXPECT_EQ(actionsOf<EnsureStable>(p)[0].revision, rev);
  EXPECT_EQ(actionsOf<EnsureStable>(p)[0].replicas, 4);
  EXPECT_EQ(actionsOf<EnsureServices>(p), (std::vector<EnsureServices>{{rev, ""}}));
  EXPECT_TRUE(actionsOf<EnsureCanary>(p).empty());
  EXPECT_TRUE(actionsOf<SetWeight>(p).empty()) << "route already reads 0";
  EXPECT_EQ(p.status.phase, Phase::kHealthy);
  EXPECT_EQ(p.status.stable_revision, rev);
  EXPECT_EQ(p.status.observed_generation, 1);
  EXPECT_EQ(eventReasons(p), std::vector<std::string>{"Deployed"});
  ASSERT_EQ(p.status.history.size(), 1u);
  EXPECT_EQ(p.status.history[0].to, "Healthy");
  EXPECT_FALSE(p.requeue_after.has_value());
}

TEST(PlannerLifecycle, FirstDeploySendsAllTrafficToStableWithoutDriftEvent) {
  Harness h;
  h.world.route_weight = 30;
  Plan p = h.run();
  EXPECT_EQ(actionsOf<SetWeight>(p), std::vector<SetWeight>{{0}});
  EXPECT_FALSE(hasEvent(p, "RouteDrift"));
}

TEST(PlannerLifecycle, SteadyStateIsIdempotent) {
  Harness h;
  h.deployStable();
  h.now += 1h;
  Plan p = h.step();
  Plan q = h.run();
  EXPECT_EQ(p.status, q.status) << "no status write when nothing changed";
  EXPECT_TRUE(eventReasons(q).empty());
  EXPECT_EQ(q.status.history.size(), 1u);
  EXPECT_EQ(findCondition(q.status.conditions, kCondAvailable)->status, "True");
  EXPECT_EQ(findCondition(q.status.conditions, kCondCompleted)->status, "True");
}

TEST(PlannerLifecycle, NewTemplateStartsCanaryAtStepZeroWithoutTraffic) {
  Harness h;
  h.deployStable();
  const std::string stable = revisionOf(h.spec);
  h.spec = withImage(h.spec, "m:2");
  const std::string canary = revisionOf(h.spec);
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_EQ(p.status.canary_revision, canary);
  EXPECT_EQ(p.status.stable_revision, stable);
  EXPECT_EQ(p.status.current_step, 0);
  EXPECT_FALSE(p.status.step_started_at.has_value());
  ASSERT_EQ(actionsOf<EnsureCanary>(p).size(), 1u);
  EXPECT_EQ(actionsOf<EnsureCanary>(p)[0].replicas, 1);  // ceil(4*1/100)
  EXPECT_EQ(actionsOf<EnsureCanary>(p)[0].revision, canary);
  EXPECT_TRUE(actionsOf<EnsureStable>(p).empty()) << "stable's template is not in spec any more";
  EXPECT_EQ(actionsOf<EnsureServices>(p), (std::vector<EnsureServices>{{stable, canary}}));
  EXPECT_TRUE(actionsOf<SetWeight>(p).empty());
  EXPECT_TRUE(hasEvent(p, "CanaryStarted"));
  EXPECT_EQ(p.status.history.back().from, "Healthy");
  EXPECT_EQ(p.status.history.back().to, "Progressing");
  EXPECT_EQ(p.requeue_after, kAvailabilityPoll);
}

TEST(PlannerLifecycle, WeightWaitsForAvailableCanary) {
  Harness h;
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.pods_ready = false;
  h.step();
  Plan p = h.step();
  EXPECT_TRUE(actionsOf<SetWeight>(p).empty()) << dump(p);
  EXPECT_NE(p.status.message.find("0/1 available"), std::string::npos) << p.status.message;
  EXPECT_EQ(p.requeue_after, kAvailabilityPoll);
  h.pods_ready = true;
  h.settle(h.world.canary);
  p = h.step();
  EXPECT_EQ(actionsOf<SetWeight>(p), std::vector<SetWeight>{{1}});
  EXPECT_EQ(p.status.step_started_at, h.now);
  EXPECT_EQ(p.status.canary_weight, 1);
  EXPECT_TRUE(hasEvent(p, "StepStarted"));
  EXPECT_EQ(p.requeue_after, std::chrono::milliseconds(1h));
}

TEST(PlannerLifecycle, HoldRequeuesForExactRemainder) {
  Harness h;
  startCanary(h);
  h.now += 25min;
  Plan p = h.step();
  EXPECT_TRUE(actionsOf<SetWeight>(p).empty());
  EXPECT_TRUE(eventReasons(p).empty());
  EXPECT_EQ(p.requeue_after, std::chrono::milliseconds(35min));
  h.now += 35min - 1s;
  p = h.step();
  EXPECT_EQ(p.status.current_step, 0);
  EXPECT_EQ(p.requeue_after, std::chrono::milliseconds(1s));
}

TEST(PlannerLifecycle, AdvanceRaisesWeightOnlyAfterStepIsStored) {
  Harness h;
  startCanary(h);
  h.now += 1h;
  Plan p = h.step();
  // One pass: the stored status says step 2 (with its weight and hold start) before the
  // route changes.
  EXPECT_EQ(p.status.current_step, 1);
  EXPECT_EQ(p.status.step_started_at, h.now);
  EXPECT_EQ(p.status.canary_weight, 10);
  EXPECT_TRUE(actionsOf<SetWeight>(p).empty()) << "crash safety: " << dump(p);
  EXPECT_EQ(afterStatusOf<SetWeight>(p), std::vector<SetWeight>{{10}}) << dump(p);
  EXPECT_TRUE(afterStatusOf<EnsureCanary>(p).empty()) << "1 canary replica for 1% and 10%";
  EXPECT_EQ(eventReasons(p), std::vector<std::string>{"StepAdvanced"}) << "one Event per step";
  EXPECT_EQ(p.status.history.back().reason, "StepAdvanced");
  EXPECT_NE(p.status.history.back().message.find(
                "advancing to step 2/3 (weight 10%): started with 1 canary replicas, hold 2h"),
            std::string::npos)
      << p.status.history.back().message;
  EXPECT_EQ(p.requeue_after, std::chrono::milliseconds(2h));
  EXPECT_EQ(h.world.route_weight, 10);
  // The pass after the entry has nothing to write.
  h.now += 1s;
  Plan q = h.run();
  EXPECT_EQ(q.status, p.status) << "no status write after a one-pass step entry";
  EXPECT_TRUE(allWeights(q).empty()) << dump(q);
  EXPECT_TRUE(eventReasons(q).empty());
  EXPECT_EQ(q.requeue_after, std::chrono::milliseconds(2h - 1s));
}

TEST(PlannerLifecycle, AdvanceNeedingMoreCanaryPodsIsTwoPass) {
  Harness h;
  h.spec["steps"][2]["hold"] = "1h";  // so the last step does not promote in the same pass
  startCanary(h);
  h.now += 1h;
  h.step();  // step 2/3 (10%): still 1 canary replica
  h.now += 2h;
  h.pods_ready = false;
  Plan p = h.step();  // step 3/3 (100%) needs 4 canary replicas
  EXPECT_EQ(p.status.current_step, 2);
  EXPECT_FALSE(p.status.step_started_at.has_value()) << "the hold starts with the weight";
  EXPECT_TRUE(allWeights(p).empty()) << dump(p);
  EXPECT_TRUE(p.after_status.empty()) << dump(p);
  EXPECT_EQ(actionsOf<EnsureCanary>(p)[0].replicas, 1) << "capacity follows the stored step";
  EXPECT_EQ(eventReasons(p), std::vector<std::string>{"StepAdvanced"});
  EXPECT_EQ(p.requeue_after, kNextPassDelay);
  p = h.step();
  EXPECT_EQ(actionsOf<EnsureCanary>(p)[0].replicas, 4);
  EXPECT_EQ(allWeights(p), std::vector<SetWeight>{}) << "10% kept while pods start";
  EXPECT_EQ(h.world.route_weight, 10);
  h.pods_ready = true;
  h.settle(h.world.canary);
  p = h.step();
  EXPECT_EQ(actionsOf<SetWeight>(p), std::vector<SetWeight>{{100}});
  EXPECT_EQ(p.status.step_started_at, h.now);
  EXPECT_EQ(eventReasons(p), std::vector<std::string>{"StepStarted"});
}

TEST(PlannerLifecycle, LostWeightAfterStepEntryIsPutBackAndRestartsTheHold) {
  Harness h;
  startCanary(h);
  h.now += 1h;
  Plan entry = h.run();
  ASSERT_EQ(afterStatusOf<SetWeight>(entry), std::vector<SetWeight>{{10}});
  Plan lost = entry;
  lost.after_status.clear();  // the status write succeeded, then the process died
  h.apply(lost);
  ASSERT_EQ(h.world.route_weight, 1);
  ASSERT_EQ(h.status.step_started_at, h.now);
  h.now += 5min;  // restarted later
  Plan p = h.step();
  // After the status storing the restarted hold: were it put back first and that write failed,
  // the next pass would find the old hold and the right weight (safety simulation, 26907145).
  EXPECT_TRUE(actionsOf<SetWeight>(p).empty()) << dump(p);
  EXPECT_EQ(afterStatusOf<SetWeight>(p), std::vector<SetWeight>{{10}}) << dump(p);
  EXPECT_TRUE(hasEvent(p, "RouteDrift"));
  EXPECT_EQ(p.status.step_started_at, h.now) << "the 2h hold counts from the real weight";
  EXPECT_EQ(p.status.current_step, 1);
  EXPECT_EQ(p.requeue_after, std::chrono::milliseconds(2h));
  // Repaired once: the next pass neither writes the weight nor moves the hold again.
  h.now += 1min;
  Plan q = h.step();
  EXPECT_TRUE(allWeights(q).empty());
  EXPECT_FALSE(hasEvent(q, "RouteDrift"));
  EXPECT_EQ(q.status.step_started_at, p.status.step_started_at);
  h.now += 2h;
  q = h.step();
  EXPECT_EQ(q.status.current_step, 2) << "the hold is not lost either";
}

TEST(PlannerLifecycle, DriftToAnotherWeightKeepsTheHold) {
  Harness h;
  startCanary(h);
  h.now += 1h;
  h.step();  // step 2/3 at 10%
  const SystemTime started = *h.status.step_started_at;
  h.now += 30min;
  h.world.route_weight = 40;  // someone else edited the route
  Plan p = h.step();
  EXPECT_EQ(actionsOf<SetWeight>(p), std::vector<SetWeight>{{10}});
  EXPECT_TRUE(hasEvent(p, "RouteDrift"));
  EXPECT_EQ(p.status.step_started_at, started);
}

TEST(PlannerLifecycle, FullRolloutWalksWeightsInOrderThenPromotes) {
  Harness h;
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  const std::string canary = revisionOf(h.spec);
  std::vector<int> weights;
  bool saw_promoting = false;
  for (int pass = 0; pass < 30 && !(h.status.phase == Phase::kHealthy && saw_promoting); ++pass) {
    Plan p = h.step();
    for (const auto& w : allWeights(p))
      weights.push_back(w.percent);
    if (p.status.phase == Phase::kPromoting) {
      saw_promoting = true;
      EXPECT_EQ(p.status.current_step, 3);
    }
    if (p.requeue_after) h.now += *p.requeue_after;
  }
  EXPECT_EQ(weights, (std::vector<int>{1, 10, 100, 0}));
  EXPECT_TRUE(saw_promoting);
  EXPECT_EQ(h.status.phase, Phase::kHealthy);
  EXPECT_EQ(h.status.stable_revision, canary);
  EXPECT_EQ(h.status.canary_revision, "");
  EXPECT_EQ(h.world.stable.revision, canary);
  EXPECT_EQ(h.world.canary.replicas, 0);
  EXPECT_EQ(h.status.history.back().reason, "Promoted");
}

TEST(PlannerLifecycle, PromotionChangesStableOnlyOnceStoredAndFinishesWeightFirst) {
  Harness h;
  startCanary(h);
  h.annotations[kAnnotationPromote] = "true";
  h.pods_ready = false;
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPromoting);
  EXPECT_TRUE(actionsOf<EnsureStable>(p).empty()) << "stable changes after the status write";
  ASSERT_EQ(afterStatusOf<EnsureStable>(p).size(), 1u) << dump(p);
  EXPECT_EQ(afterStatusOf<EnsureStable>(p)[0].revision, h.status.canary_revision);
  EXPECT_EQ(afterStatusOf<EnsureServices>(p)[0].stable_revision, "") << "old and new stable pods";
  EXPECT_EQ(actionsOf<RemoveAnnotation>(p), std::vector<RemoveAnnotation>{{kAnnotationPromote}});
  EXPECT_TRUE(hasEvent(p, "PromoteRequested"));
  EXPECT_EQ(p.requeue_after, kAvailabilityPoll);
  EXPECT_EQ(h.world.stable.revision, h.status.canary_revision);
  p = h.step();  // stable rolling: the same patch again is a no-op for the applier
  ASSERT_EQ(actionsOf<EnsureStable>(p).size(), 1u);
  EXPECT_EQ(actionsOf<EnsureStable>(p)[0].revision, h.status.canary_revision);
  EXPECT_TRUE(allWeights(p).empty());
  EXPECT_EQ(p.requeue_after, kAvailabilityPoll);
  h.pods_ready = true;
  h.settle(h.world.stable);
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kHealthy);
  EXPECT_LT(indexOf<SetWeight>(p), indexOf<ScaleCanary>(p)) << dump(p);
  EXPECT_EQ(actionsOf<SetWeight>(p), std::vector<SetWeight>{{0}});
}

TEST(PlannerLifecycle, PauseStopsHoldClockAndResumeShiftsIt) {
  Harness h;
  startCanary(h);
  const SystemTime started = *h.status.step_started_at;
  h.now += 20min;
  h.spec["paused"] = true;
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPaused);
  EXPECT_TRUE(hasEvent(p, "Paused"));
  EXPECT_FALSE(p.requeue_after.has_value()) << "no hold timer while paused";
  EXPECT_EQ(findCondition(p.status.conditions, kCondPaused)->status, "True");
  h.now += 3h;
  p = h.step();
  EXPECT_EQ(p.status.current_step, 0) << "no advance while paused";
  h.spec["paused"] = false;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_TRUE(hasEvent(p, "Resumed"));
  EXPECT_EQ(*p.status.step_started_at, started + 3h);
  EXPECT_EQ(p.requeue_after, std::chrono::milliseconds(40min));
}

TEST(PlannerLifecycle, PausedNewTemplateWaits) {
  Harness h;
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.spec["paused"] = true;
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPaused);
  EXPECT_TRUE(actionsOf<EnsureCanary>(p).empty());
  EXPECT_EQ(p.status.canary_revision, "");
  h.spec["paused"] = false;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_EQ(actionsOf<EnsureCanary>(p).size(), 1u);
}

TEST(PlannerLifecycle, AbortPutsTrafficOnStableFirstAndRemembersRevision) {
  Harness h;
  startCanary(h);
  h.now += 61min;
  h.step();
  h.step();  // step 2, weight 10
  ASSERT_EQ(h.world.route_weight, 10);
  const std::string canary = h.status.canary_revision;
  h.annotations[kAnnotationAbort] = "";
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kRolledBack);
  // RolledBack is stored first (issue 13), then traffic to stable, then the canary goes.
  EXPECT_TRUE(actionsOf<SetWeight>(p).empty()) << dump(p);
  EXPECT_EQ(afterStatusOf<SetWeight>(p), std::vector<SetWeight>{{0}});
  EXPECT_LT(indexAfterStatusOf<SetWeight>(p), indexAfterStatusOf<ScaleCanary>(p)) << dump(p);
  EXPECT_EQ(afterStatusOf<ScaleCanary>(p), std::vector<ScaleCanary>{{0}});
  EXPECT_EQ(p.status.rolled_back_revision, canary);
  EXPECT_EQ(p.status.canary_revision, "");
  EXPECT_EQ(p.status.history.back().reason, "Aborted");
  EXPECT_NE(p.status.message.find("step 2/3"), std::string::npos) << p.status.message;
  EXPECT_NE(p.status.message.find("10%"), std::string::npos) << p.status.message;
  auto events = actionsOf<RecordEvent>(p);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "Warning");
  EXPECT_TRUE(std::holds_alternative<RemoveAnnotation>(p.actions.back()));
  // Later passes: no retry of the same revision.
  h.now += 1h;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kRolledBack);
  EXPECT_TRUE(actionsOf<EnsureCanary>(p).empty());
  EXPECT_TRUE(eventReasons(p).empty());
}

TEST(PlannerLifecycle, AbortBeforeCanaryStartsRemembersRevisionOnce) {
  Harness h;
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.spec["paused"] = true;
  h.step();  // Paused, waiting
  const size_t history = h.status.history.size();
  h.annotations[kAnnotationAbort] = "";
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kRolledBack);
  EXPECT_EQ(p.status.rolled_back_revision, revisionOf(h.spec));
  EXPECT_EQ(p.status.history.size(), history + 1) << "one transition, one entry";
  EXPECT_TRUE(actionsOf<EnsureCanary>(p).empty());
  h.spec["paused"] = false;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kRolledBack) << "not started after unpausing";
}

TEST(PlannerLifecycle, RetryRerunsRolledBackRevision) {
  Harness h;
  startCanary(h);
  h.annotations[kAnnotationAbort] = "true";
  h.step();
  h.annotations[kAnnotationRetry] = "true";
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_EQ(p.status.canary_revision, revisionOf(h.spec));
  EXPECT_EQ(p.status.rolled_back_revision, "");
  EXPECT_EQ(p.status.current_step, 0);
  EXPECT_TRUE(hasEvent(p, "RetryStarted"));
  EXPECT_EQ(actionsOf<RemoveAnnotation>(p), std::vector<RemoveAnnotation>{{kAnnotationRetry}});
}

TEST(PlannerLifecycle, RetryWithNothingToRetryIsAcknowledged) {
  Harness h;
  h.deployStable();
  h.annotations[kAnnotationRetry] = "";
  Plan p = h.step();
  EXPECT_TRUE(hasEvent(p, "RetryIgnored"));
  EXPECT_TRUE(h.annotations.empty());
}

TEST(PlannerLifecycle, TemplateRevertedMidRolloutRollsBack) {
  Harness h;
  const Json original = h.spec;
  startCanary(h);
  h.spec = original;
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kRolledBack);
  EXPECT_EQ(p.status.history.back().reason, "TemplateReverted");
  EXPECT_LT(indexAfterStatusOf<SetWeight>(p), indexAfterStatusOf<ScaleCanary>(p)) << dump(p);
  EXPECT_GE(indexAfterStatusOf<SetWeight>(p), 0) << "after the RolledBack status is stored";
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kRolledBack) << "sticky until the next rollout";
  ASSERT_EQ(actionsOf<EnsureStable>(p).size(), 1u);
  EXPECT_EQ(actionsOf<EnsureStable>(p)[0].revision, revisionOf(original));
  h.spec = withImage(original, "m:3");
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing) << "a new template starts a new rollout";
}

TEST(PlannerLifecycle, NewerTemplateMidRolloutRestartsAtStepZero) {
  Harness h;
  startCanary(h);
  h.now += 61min;
  h.step();
  h.step();  // step 2 at 10%
  h.spec = withImage(h.spec, "m:3");
  Plan p = h.step();
  EXPECT_EQ(p.status.canary_revision, revisionOf(h.spec));
  EXPECT_EQ(p.status.current_step, 0);
  EXPECT_TRUE(hasEvent(p, "CanaryRestarted"));
  EXPECT_EQ(actionsOf<SetWeight>(p), std::vector<SetWeight>{{0}});
  EXPECT_LT(indexOf<SetWeight>(p), indexOf<EnsureCanary>(p)) << dump(p);
  p = h.step();
  EXPECT_EQ(actionsOf<SetWeight>(p), std::vector<SetWeight>{{1}});
}

TEST(PlannerLifecycle, NewerTemplateDuringPromotionFinishesPromotionFirst) {
  Harness h;
  startCanary(h);
  const std::string promoted = h.status.canary_revision;
  h.annotations[kAnnotationPromote] = "full";
  h.pods_ready = false;
  h.step();  // Promoting; stable gets the canary's template right after the status write
  ASSERT_EQ(h.world.stable.revision, promoted);
  h.spec = withImage(h.spec, "m:3");
  h.pods_ready = true;
  h.settle(h.world.stable);
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kHealthy);
  EXPECT_EQ(p.status.stable_revision, promoted);
  EXPECT_TRUE(actionsOf<EnsureStable>(p).empty()) << "m:3 must not reach stable directly";
  EXPECT_EQ(p.requeue_after, kNextPassDelay);
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_EQ(p.status.canary_revision, revisionOf(h.spec));
}

TEST(PlannerLifecycle, AbortDuringPromotionIsIgnored) {
  Harness h;
  startCanary(h);
  h.annotations[kAnnotationPromote] = "full";
  h.pods_ready = false;  // stable still rolling out
  h.step();
  h.annotations[kAnnotationAbort] = "";
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPromoting);
  EXPECT_TRUE(hasEvent(p, "AbortIgnored"));
  EXPECT_TRUE(h.annotations.empty());
}

TEST(PlannerLifecycle, StrayPromoteIsAcknowledged) {
  Harness h;
  h.deployStable();
  h.annotations[kAnnotationPromote] = "true";
  Plan p = h.step();
  EXPECT_TRUE(hasEvent(p, "PromoteIgnored"));
  EXPECT_TRUE(h.annotations.empty());
}

TEST(PlannerLifecycle, DeletedManagedObjectsAreRecreated) {
  Harness h;
  h.deployStable();
  h.world.stable = {};
  h.world.root_service = false;
  Plan p = h.step();
  EXPECT_EQ(actionsOf<EnsureStable>(p).size(), 1u);
  EXPECT_EQ(actionsOf<EnsureServices>(p).size(), 1u);
  ASSERT_TRUE(hasEvent(p, "ManagedObjectRecreated"));
  EXPECT_NE(actionsOf<RecordEvent>(p)[0].message.find("stable Deployment, root Service"),
            std::string::npos);
  EXPECT_TRUE(h.world.stable.exists);
  // Mid-canary: the canary Deployment is recreated at the step's size.
  startCanary(h);
  h.world.canary = {};
  p = h.step();
  ASSERT_EQ(actionsOf<EnsureCanary>(p).size(), 1u);
  EXPECT_EQ(actionsOf<EnsureCanary>(p)[0].replicas, 1);
  EXPECT_TRUE(hasEvent(p, "ManagedObjectRecreated"));
}

TEST(PlannerLifecycle, StableDeletedMidCanaryIsDegradedNotGuessed) {
  Harness h;
  startCanary(h);
  h.world.stable = {};
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kDegraded);
  EXPECT_EQ(p.status.history.back().reason, "StableMissing");
  EXPECT_TRUE(actionsOf<EnsureStable>(p).empty());
  EXPECT_TRUE(actionsOf<SetWeight>(p).empty());
  EXPECT_EQ(p.requeue_after, kDegradedPoll);
}

TEST(PlannerLifecycle, ObjectBeingDeletedDoesNothing) {
  Harness h;
  startCanary(h);
  h.world.deleting = true;
  Plan p = h.run();
  EXPECT_TRUE(p.actions.empty()) << dump(p);
  EXPECT_EQ(p.status, h.status);
  EXPECT_FALSE(p.requeue_after.has_value());
}

TEST(PlannerLifecycle, InvalidSpecIsDegradedAndNothingElseHappens) {
  Harness h;
  h.deployStable();
  h.spec["steps"] = Json::parse(R"([{"weight": 50}, {"weight": 10}])");
  h.spec["replicas"] = -1;
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kDegraded);
  ASSERT_EQ(p.actions.size(), 1u) << dump(p);
  EXPECT_EQ(eventReasons(p), std::vector<std::string>{"InvalidSpec"});
  const Condition* c = findCondition(p.status.conditions, kCondInvalidSpec);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, "True");
  EXPECT_NE(c->message.find("spec.replicas"), std::string::npos) << c->message;
  EXPECT_NE(c->message.find("spec.steps[1].weight"), std::string::npos) << c->message;
  const size_t history = p.status.history.size();
  p = h.step();
  EXPECT_TRUE(p.actions.empty()) << "event only on the transition";
  EXPECT_EQ(p.status.history.size(), history);
  h.spec = baseSpec();
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kHealthy);
  EXPECT_EQ(findCondition(p.status.conditions, kCondInvalidSpec)->status, "False");
}

TEST(PlannerLifecycle, RouteDriftIsPutBackWithEvent) {
  Harness h;
  startCanary(h);
  h.world.route_weight = 40;
  Plan p = h.step();
  EXPECT_EQ(actionsOf<SetWeight>(p), std::vector<SetWeight>{{1}});
  ASSERT_TRUE(hasEvent(p, "RouteDrift"));
  EXPECT_NE(actionsOf<RecordEvent>(p)[0].message.find("40%"), std::string::npos);
}

TEST(PlannerLifecycle, MissingRouteIsDegradedAndRecovers) {
  Harness h;
  startCanary(h);
  h.world.route_exists = false;
  h.world.route_weight.reset();
  h.now += 2h;
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kDegraded);
  EXPECT_TRUE(hasEvent(p, "RouteNotFound"));
  EXPECT_TRUE(actionsOf<SetWeight>(p).empty());
  EXPECT_EQ(p.status.current_step, 0) << "no advance without a route";
  EXPECT_EQ(p.requeue_after, kDegradedPoll);
  p = h.step();
  EXPECT_FALSE(hasEvent(p, "RouteNotFound")) << "event once";
  h.world.route_exists = true;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_EQ(actionsOf<SetWeight>(p), std::vector<SetWeight>{{1}});
}

TEST(PlannerLifecycle, ReplicaRatioDoesNotReportEffectiveWeightAsDrift) {
  Harness h;
  h.spec.erase("trafficRouting");
  startCanary(h);
  h.world.route_weight = 20;  // 1 canary pod next to 4 stable pods
  Plan p = h.step();
  EXPECT_FALSE(hasEvent(p, "RouteDrift"));
  EXPECT_TRUE(actionsOf<SetWeight>(p).empty());
}

TEST(PlannerLifecycle, HistoryIsBoundedToTwenty) {
  Harness h;
  h.deployStable();
  for (int i = 0; i < 30; ++i) {
    h.spec = withImage(h.spec, "m:" + std::to_string(10 + i));
    h.step();
  }
  EXPECT_EQ(h.status.history.size(), kMaxHistory);
  EXPECT_EQ(h.status.history.back().reason, "CanaryRestarted");
}

// Crash safety: at every other pass, crash after a prefix of the pass's sequence
// [actions..., status write, after_status...] and continue. The route must never carry more
// than the stored step allows, and the rollout must still finish with the same weights in order.
// Prefixes that end after the status write cover crashes between it and the after-status
// actions (the step entered, its weight not yet raised).
TEST(PlannerLifecycle, CrashAtAnyActionNeverExceedsStoredStepWeight) {
  int crashes_after_status = 0;
  for (int crash_at = 0; crash_at < 10; ++crash_at) {
    Harness h;
    h.deployStable();
    h.spec = withImage(h.spec, "m:2");
    std::vector<int> weights;
    for (int pass = 0; pass < 80 && !(h.status.phase == Phase::kHealthy && pass > 0 &&
                                      h.status.stable_revision == revisionOf(h.spec));
         ++pass) {
      Plan p = h.run();
      if (pass % 2 == 1) {  // crash part-way through the pass
        Plan partial = p;
        const size_t n = static_cast<size_t>(crash_at);
        std::erase_if(partial.actions,
                      [](const Action& a) { return std::holds_alternative<RemoveAnnotation>(a); });
        if (n <= partial.actions.size()) {  // before the status write
          partial.actions.resize(n);
          partial.status = h.status;
          partial.after_status.clear();
        } else {  // status stored, after_status cut short
          const size_t after = n - partial.actions.size() - 1;
          if (after < partial.after_status.size()) ++crashes_after_status;
          partial.after_status.resize(std::min(partial.after_status.size(), after));
        }
        h.apply(partial);
      } else {
        h.apply(p);
        if (p.requeue_after) h.now += *p.requeue_after;
      }
      const auto steps = parseSpec(h.spec).spec->steps;
      const int allowed =
          h.status.canary_revision.empty()
              ? 100
              : steps[std::min<size_t>(h.status.current_step, steps.size() - 1)].weight;
      ASSERT_LE(h.world.route_weight.value_or(0), allowed)
          << "crash_at " << crash_at << " pass " << pass;
      if (weights.empty() || weights.back() != *h.world.route_weight) {
        weights.push_back(*h.world.route_weight);
      }
    }
    EXPECT_EQ(h.status.phase, Phase::kHealthy) << "crash_at " << crash_at;
    EXPECT_EQ(h.status.stable_revision, revisionOf(h.spec)) << "crash_at " << crash_at;
    EXPECT_EQ(weights, (std::vector<int>{0, 1, 10, 100, 0})) << "crash_at " << crash_at;
  }
  EXPECT_GE(crashes_after_status, 3) << "crashes between the status write and after_status";
}

}  // namespace
}  // namespace mr::rollout::testing
