// Progress deadline (planner_deadline.cpp): a canary or a promoted stable Deployment whose pods
// never become available. Issue 13, item 7: before, such a canary waited forever.
#include "rollout/conditions.h"
#include "rollout/status_json.h"
#include "tests/rollout/planner_harness.h"

namespace mr::rollout::testing {
namespace {

constexpr const char* kPullBackOff =
    "ImagePullBackOff: container s: Back-off pulling image \"m:broken\"";

// A stable rollout, then a new template whose canary pods never become available: returns
// after the first pass that waits for them (the deadline clock starts there).
void startStuckCanary(Harness& h, int deadline_seconds, bool abort = true) {
  h.spec["progressDeadlineSeconds"] = deadline_seconds;
  h.spec["progressDeadlineAbort"] = abort;
  h.deployStable();
  h.spec = withImage(h.spec, "m:broken");
  h.pods_ready = false;
  h.step();  // CanaryStarted
  h.world.canary.not_ready_reason = kPullBackOff;
  h.step();  // waiting for 1 available canary replica
}

const Condition& progressing(const Plan& p) {
  const Condition* c = findCondition(p.status.conditions, kCondProgressing);
  EXPECT_NE(c, nullptr);
  static const Condition none;
  return c ? *c : none;
}

TEST(PlannerDeadline, CanaryThatNeverBecomesReadyIsRolledBackAtTheDeadlineWithThePodReason) {
  Harness h;
  startStuckCanary(h, 60);
  ASSERT_EQ(h.status.phase, Phase::kProgressing);
  ASSERT_TRUE(h.status.waiting_since.has_value());
  EXPECT_EQ(*h.status.waiting_since, std::chrono::floor<std::chrono::seconds>(h.now));

  h.now += 59s;
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing) << "deadline not reached yet";
  ASSERT_TRUE(p.requeue_after.has_value());
  EXPECT_LE(*p.requeue_after, 1s) << "the pass at the deadline is scheduled";

  h.now += 1s;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kRolledBack) << dump(p);
  EXPECT_EQ(p.status.history.back().reason, "ProgressDeadlineExceeded");
  EXPECT_NE(p.status.message.find("ImagePullBackOff"), std::string::npos) << p.status.message;
  EXPECT_NE(p.status.message.find("progressDeadlineSeconds 60"), std::string::npos);
  EXPECT_EQ(progressing(p).status, "False");
  EXPECT_EQ(progressing(p).reason, "ProgressDeadlineExceeded");
  EXPECT_TRUE(hasEvent(p, "ProgressDeadlineExceeded"));
  EXPECT_EQ(afterStatusOf<ScaleCanary>(p), std::vector<ScaleCanary>{{0}})
      << "after the status write (issue 13 item 4)";
  EXPECT_EQ(h.world.route_weight, 0);
  EXPECT_FALSE(p.status.waiting_since.has_value());
  EXPECT_FALSE(p.status.rolled_back_revision.empty());

  h.now += 10s;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kRolledBack);
  EXPECT_EQ(progressing(p).reason, "ProgressDeadlineExceeded") << "kept until the next rollout";
  EXPECT_TRUE(eventReasons(p).empty()) << "one Event only";
  EXPECT_TRUE(actionsOf<EnsureCanary>(p).empty());
}

TEST(PlannerDeadline, WithoutAbortTheCanaryWaitsWithProgressingFalseAndOneEvent) {
  Harness h;
  startStuckCanary(h, 60, /*abort=*/false);
  h.now += 61s;
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_EQ(progressing(p).status, "False");
  EXPECT_EQ(progressing(p).reason, "ProgressDeadlineExceeded");
  EXPECT_NE(p.status.message.find("ImagePullBackOff"), std::string::npos) << p.status.message;
  EXPECT_EQ(eventReasons(p), std::vector<std::string>{"ProgressDeadlineExceeded"});
  EXPECT_TRUE(actionsOf<ScaleCanary>(p).empty());
  EXPECT_TRUE(allWeights(p).empty()) << "the canary gets no traffic while waiting";

  h.now += 10s;
  p = h.step();
  EXPECT_TRUE(eventReasons(p).empty()) << "reported once";
  EXPECT_EQ(progressing(p).reason, "ProgressDeadlineExceeded");

  // The pods finally come: the step starts and the rollout is Progressing again.
  h.pods_ready = true;
  h.settle(h.world.canary);
  h.world.canary.not_ready_reason.clear();
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_EQ(progressing(p).status, "True");
  EXPECT_EQ(allWeights(p), std::vector<SetWeight>{{1}});
  EXPECT_FALSE(p.status.waiting_since.has_value());
}

TEST(PlannerDeadline, PauseStopsTheDeadlineClock) {
  Harness h;
  startStuckCanary(h, 60);
  h.spec["paused"] = true;
  h.now += 30s;
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPaused);
  EXPECT_FALSE(p.status.waiting_since.has_value());
  h.spec["paused"] = false;
  h.now += 50s;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing) << "the clock restarted at resume";
  h.now += 50s;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  h.now += 11s;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kRolledBack);
}

TEST(PlannerDeadline, DeadlineClockSurvivesARestartThroughStatus) {
  Harness h;
  startStuckCanary(h, 60);
  // A new controller reads the stored status back from JSON.
  h.status = statusFromJson(statusToJson(h.status));
  ASSERT_TRUE(h.status.waiting_since.has_value());
  h.now += 61s;
  EXPECT_EQ(h.step().status.phase, Phase::kRolledBack);
}

TEST(PlannerDeadline, CanaryWithEnoughPodsNeverStartsTheClock) {
  Harness h;
  h.spec["progressDeadlineSeconds"] = 60;
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  Plan p = h.step();
  EXPECT_FALSE(p.status.waiting_since.has_value());
  h.now += 2h;
  p = h.step();
  EXPECT_NE(p.status.phase, Phase::kRolledBack);
}

TEST(PlannerDeadline, PromotionStuckOnStableReportsWithoutRollingBack) {
  Harness h;
  h.spec["progressDeadlineSeconds"] = 60;
  h.deployStable();
  const std::string old_stable = h.status.stable_revision;
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();
  h.annotations[kAnnotationPromote] = "full";
  h.pods_ready = false;
  h.step();  // Promoting; stable takes the new template and never becomes available
  ASSERT_EQ(h.status.phase, Phase::kPromoting);
  h.world.stable.not_ready_reason = "Unschedulable: 0/3 nodes are available: Insufficient gpu";
  Plan p = h.step();
  ASSERT_TRUE(p.status.waiting_since.has_value());
  h.now += 61s;
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPromoting) << "the old template is gone: no rollback";
  EXPECT_EQ(progressing(p).reason, "ProgressDeadlineExceeded");
  EXPECT_NE(p.status.message.find("Unschedulable"), std::string::npos) << p.status.message;
  EXPECT_NE(p.status.message.find(old_stable), std::string::npos) << "says how to roll back";
  EXPECT_TRUE(hasEvent(p, "ProgressDeadlineExceeded"));
  EXPECT_TRUE(actionsOf<ScaleCanary>(p).empty()) << "the canary keeps serving";
}

TEST(PlannerDeadline, SpecDefaultsAndBounds) {
  auto parsed = parseSpec(baseSpec());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.spec->progress_deadline, std::chrono::seconds(600));
  EXPECT_TRUE(parsed.spec->progress_deadline_abort);
  Json bad = baseSpec();
  bad["progressDeadlineSeconds"] = 0;
  EXPECT_FALSE(parseSpec(bad).ok());
  bad["progressDeadlineSeconds"] = "10";
  EXPECT_FALSE(parseSpec(bad).ok());
}

}  // namespace
}  // namespace mr::rollout::testing
