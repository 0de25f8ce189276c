// Transition-table tests of the planner with analysis (issue 5 semantics): scheduling and exact
// requeues, advance only on a passing check, failureLimit, inconclusiveLimit with both policies,
// Errors counted apart with backoff, promote=true waiting for a pass, stale and duplicate results.
#include "rollout/conditions.h"
#include "tests/rollout/planner_harness.h"

namespace mr::rollout::testing {
namespace {

using analysis::Verdict;

Harness analysed(int failure_limit = 1, int inconclusive_limit = 3, const char* policy = "Pause") {
  Harness h;
  h.spec["analysis"] = {{"interval", "1m"},
                        {"failureLimit", failure_limit},
                        {"inconclusiveLimit", inconclusive_limit},
                        {"onInconclusiveLimit", policy}};
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();  // step 1 at 1%, started at h.now
  return h;
}

TEST(PlannerAnalysis, FirstCheckIsDueOneIntervalAfterStepStart) {
  Harness h = analysed();
  EXPECT_EQ(h.last.requeue_after, std::chrono::milliseconds(1min)) << "min(hold 1h, interval)";
  h.now += 59s;
  Plan p = h.step();
  EXPECT_TRUE(actionsOf<StartAnalysis>(p).empty());
  EXPECT_EQ(p.requeue_after, std::chrono::milliseconds(1s));
  h.now += 1s;
  p = h.step();
  ASSERT_EQ(actionsOf<StartAnalysis>(p).size(), 1u);
  EXPECT_EQ(actionsOf<StartAnalysis>(p)[0].step, 0);
  EXPECT_EQ(actionsOf<StartAnalysis>(p)[0].canary_revision, h.status.canary_revision);
  EXPECT_EQ(actionsOf<StartAnalysis>(p)[0].stable_revision, h.status.stable_revision);
  EXPECT_EQ(p.requeue_after, std::chrono::milliseconds(59min)) << "only the hold is timed";
  p = h.step();  // in flight: not submitted twice
  EXPECT_TRUE(actionsOf<StartAnalysis>(p).empty());
}

TEST(PlannerAnalysis, PassSchedulesNextCheckOneIntervalLater) {
  Harness h = analysed();
  h.now += 65s;
  h.deliver(Verdict::kPass);
  Plan p = h.step();
  ASSERT_TRUE(p.status.last_analysis.has_value());
  EXPECT_EQ(p.status.last_analysis->verdict, "Pass");
  EXPECT_EQ(p.status.last_analysis->metrics.size(), 1u);
  EXPECT_EQ(p.requeue_after, std::chrono::milliseconds(60s));
  EXPECT_EQ(findCondition(p.status.conditions, kCondAnalysis)->status, "True");
}

TEST(PlannerAnalysis, StepAdvancesOnlyWhenHoldElapsedAndLatestCheckPassed) {
  Harness h = analysed();
  h.now += 30min;
  h.deliver(Verdict::kPass);
  h.step();
  h.now += 30min;  // hold elapsed; latest check (30 min ago) passed
  h.deliver(Verdict::kInconclusive);
  Plan p = h.step();
  EXPECT_EQ(p.status.current_step, 0) << "latest check is Inconclusive";
  EXPECT_NE(p.status.message.find("waiting for a passing check"), std::string::npos);
  ASSERT_EQ(actionsOf<StartAnalysis>(p).size(), 0u);
  EXPECT_EQ(p.requeue_after, std::chrono::milliseconds(60s));
  h.now += 60s;
  h.deliver(Verdict::kPass);
  p = h.step();
  EXPECT_EQ(p.status.current_step, 1);
  EXPECT_TRUE(hasEvent(p, "StepAdvanced"));
  EXPECT_EQ(p.status.consecutive_inconclusive, 0);
}

TEST(PlannerAnalysis, FailureLimitOneRollsBackWithMetricValues) {
  Harness h = analysed(1);
  h.now += 61s;
  h.deliver(Verdict::kFail, "errorRate 0.004 > 0.001");
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kRolledBack);
  EXPECT_EQ(p.status.history.back().reason, "AnalysisFailed");
  EXPECT_NE(p.status.message.find("errorRate=0.004 (<= 0.001) Fail"), std::string::npos)
      << p.status.message;
  EXPECT_TRUE(hasEvent(p, "CheckFailed"));
  EXPECT_GE(indexAfterStatusOf<SetWeight>(p), 0) << "after RolledBack is stored" << dump(p);
  EXPECT_LT(indexAfterStatusOf<SetWeight>(p), indexAfterStatusOf<ScaleCanary>(p)) << dump(p);
  EXPECT_EQ(p.status.consecutive_failures, 1);
  EXPECT_EQ(p.status.last_analysis->metrics[0].value, 0.004);
}

TEST(PlannerAnalysis, FailuresMustBeConsecutive) {
  Harness h = analysed(2, 10);
  for (Verdict v : {Verdict::kFail, Verdict::kInconclusive, Verdict::kFail}) {
    h.now += 61s;
    h.deliver(v);
    h.step();
    EXPECT_EQ(h.status.phase, Phase::kProgressing);
  }
  EXPECT_EQ(h.status.consecutive_failures, 1);
  h.now += 61s;
  h.deliver(Verdict::kFail);
  h.step();
  EXPECT_EQ(h.status.phase, Phase::kRolledBack);
}

TEST(PlannerAnalysis, InconclusiveLimitPausesAndRetryResumes) {
  Harness h = analysed(1, 3, "Pause");
  for (int i = 0; i < 3; ++i) {
    h.now += 61s;
    h.deliver(Verdict::kInconclusive);
    h.step();
  }
  EXPECT_EQ(h.status.phase, Phase::kPaused);
  EXPECT_TRUE(h.status.analysis_paused);
  EXPECT_EQ(h.status.history.back().reason, "InconclusiveLimit");
  EXPECT_EQ(findCondition(h.status.conditions, kCondPaused)->reason, "InconclusiveLimit");
  // Still paused after the hold even when a later check passes: a human decides.
  h.now += 2h;
  h.deliver(Verdict::kPass);
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPaused);
  EXPECT_EQ(p.status.current_step, 0);
  h.annotations[kAnnotationRetry] = "";
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_FALSE(p.status.analysis_paused);
  EXPECT_TRUE(hasEvent(p, "RetryAcknowledged"));
  EXPECT_TRUE(hasEvent(p, "Resumed"));
  EXPECT_TRUE(h.annotations.empty());
}

TEST(PlannerAnalysis, InconclusiveLimitRollbackPolicy) {
  Harness h = analysed(1, 2, "Rollback");
  for (int i = 0; i < 2; ++i) {
    h.now += 61s;
    h.deliver(Verdict::kInconclusive);
    h.step();
  }
  EXPECT_EQ(h.status.phase, Phase::kRolledBack);
  EXPECT_EQ(h.status.history.back().reason, "InconclusiveLimit");
}

TEST(PlannerAnalysis, AnOutageNeverTriggersTheInconclusivePolicy) {
  for (const char* policy : {"Pause", "Rollback"}) {
    Harness h = analysed(1, 2, policy);
    for (int i = 0; i < 6; ++i) {
      h.now += 61s;
      h.deliver(Verdict::kError, "prometheus unreachable");
      h.step();
    }
    EXPECT_EQ(h.status.phase, Phase::kProgressing) << policy;
    EXPECT_FALSE(h.status.analysis_paused) << policy;
    EXPECT_EQ(h.status.consecutive_inconclusive, 6) << policy;
    // Prometheus is back: a judged non-pass now counts with the errors before it.
    h.now += 61s;
    h.deliver(Verdict::kInconclusive);
    h.step();
    if (std::string(policy) == "Rollback") {
      EXPECT_EQ(h.status.phase, Phase::kRolledBack);
    } else {
      EXPECT_TRUE(h.status.analysis_paused);
    }
  }
}

TEST(PlannerAnalysis, ErrorsNeverDecideAloneAndBackOff) {
  Harness h = analysed(1, 10);
  h.now += 61s;
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 5; ++i) {
    h.deliver(Verdict::kError, "prometheus unreachable");
    Plan p = h.step();
    EXPECT_EQ(p.status.phase, Phase::kProgressing);
    EXPECT_EQ(p.status.consecutive_errors, i + 1);
    EXPECT_EQ(p.status.consecutive_failures, 0);
    EXPECT_EQ(hasEvent(p, "CheckError"), i == 0) << "one event per error streak";
    ASSERT_TRUE(p.requeue_after.has_value());
    delays.push_back(*p.requeue_after);
    h.now += *p.requeue_after;
    p = h.step();
    EXPECT_EQ(actionsOf<StartAnalysis>(p).size(), 1u) << "retry due";
  }
  EXPECT_EQ(delays, (std::vector<std::chrono::milliseconds>{10s, 20s, 40s, 60s, 60s}));
  EXPECT_EQ(findCondition(h.status.conditions, kCondAnalysis)->reason, "Error");
  // The hold elapses, but an Error is not a pass.
  h.now += 1h;
  h.deliver(Verdict::kError);
  h.step();
  EXPECT_EQ(h.status.current_step, 0);
  h.deliver(Verdict::kPass);
  h.now += 1s;
  h.deliver(Verdict::kPass);
  h.step();
  EXPECT_EQ(h.status.current_step, 1);
  EXPECT_EQ(h.status.consecutive_errors, 0);
}

TEST(PlannerAnalysis, StaleAndDuplicateResultsAreIgnored) {
  Harness h = analysed(2, 10);
  h.now += 61s;
  h.deliver(Verdict::kFail);
  h.step();
  EXPECT_EQ(h.status.consecutive_failures, 1);
  h.step();  // the same result again
  EXPECT_EQ(h.status.consecutive_failures, 1);
  h.analysis->step = 1;  // for another step
  h.analysis->time += 5s;
  h.step();
  EXPECT_EQ(h.status.consecutive_failures, 1);
  h.analysis->step = 0;
  h.analysis->canary_revision = "0123456789";  // another revision
  h.step();
  EXPECT_EQ(h.status.consecutive_failures, 1);
  EXPECT_EQ(h.status.phase, Phase::kProgressing);
}

TEST(PlannerAnalysis, PromoteTrueWaitsForPassPromoteFullDoesNot) {
  Harness h = analysed();
  h.annotations[kAnnotationPromote] = "true";
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_TRUE(actionsOf<RemoveAnnotation>(p).empty()) << "kept until a check passes";
  h.now += 61s;
  h.deliver(Verdict::kPass);
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPromoting);
  EXPECT_TRUE(hasEvent(p, "PromoteRequested"));

  Harness f = analysed();
  f.annotations[kAnnotationPromote] = "full";
  p = f.step();
  EXPECT_EQ(p.status.phase, Phase::kPromoting);
  EXPECT_TRUE(hasEvent(p, "PromotedFull"));
  EXPECT_EQ(actionsOf<RemoveAnnotation>(p), std::vector<RemoveAnnotation>{{kAnnotationPromote}});
}

TEST(PlannerAnalysis, BadPromoteValueIsRejected) {
  Harness h = analysed();
  h.annotations[kAnnotationPromote] = "yes";
  Plan p = h.step();
  EXPECT_TRUE(hasEvent(p, "PromoteIgnored"));
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_TRUE(h.annotations.empty());
}

TEST(PlannerAnalysis, NoAnalysisWhileWaitingForCanary) {
  Harness h;
  h.spec["analysis"] = {{"interval", "1m"}};
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.pods_ready = false;
  h.step();
  h.now += 5min;
  Plan p = h.step();
  EXPECT_TRUE(actionsOf<StartAnalysis>(p).empty());
}

}  // namespace
}  // namespace mr::rollout::testing
