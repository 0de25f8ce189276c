// Transition-table tests of the planner with analysis (issue 12 semantics): scheduling and exact
// requeues, a step advances on "no harm" shown after its hold and the last one promotes only on
// a Pass, failureLimit, inconclusiveTimeout with both policies, Errors counted apart with
// backoff and never running the inconclusive clock, promote=true waiting for a pass, stale and
// duplicate results.
#include "rollout/conditions.h"
#include "tests/rollout/planner_harness.h"

namespace mr::rollout::testing {
namespace {

using analysis::Verdict;

Harness analysed(int failure_limit = 1, const char* timeout = "10m", const char* policy = "Pause") {
  Harness h;
  h.spec["analysis"] = {{"interval", "1m"},
                        {"failureLimit", failure_limit},
                        {"inconclusiveTimeout", timeout},
                        {"onInconclusiveLimit", policy}};
  h.deployStable();
  h.spec = withImage(h.spec, "m:2");
  h.step();
  h.step();  // step 1 at 1%, started at h.now
  return h;
}

// Passes steps 1 (1h) and 2 (2h) with passing checks: the last step (100%, no hold) runs.
void toLastStep(Harness& h) {
  int step = 0;
  for (auto hold : {1h, 2h}) {
    h.now += hold + 1s;
    h.deliver(Verdict::kPass);
    ++step;
    for (int pass = 0; pass < 5 && !(h.status.current_step == step && h.status.step_started_at);
         ++pass)
      h.step();
  }
  ASSERT_EQ(h.status.current_step, 2);
  ASSERT_TRUE(h.status.step_started_at.has_value());
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

TEST(PlannerAnalysis, StepAdvancesOnNoHarmShownByACheckAfterTheHold) {
  Harness h = analysed();
  h.now += 30min;
  h.deliver(Verdict::kPass);
  h.step();
  h.now += 30min;  // hold elapsed; the latest check is from before its end
  Plan p = h.step();
  EXPECT_EQ(p.status.current_step, 0) << "a check before the hold end may have missed harm";
  EXPECT_NE(p.status.message.find("waiting for a check after the hold"), std::string::npos)
      << p.status.message;
  h.now += 1s;
  h.deliver(Verdict::kInconclusive);  // no harm shown: enough to leave a step that is not last
  p = h.step();
  EXPECT_EQ(p.status.current_step, 1);
  EXPECT_TRUE(hasEvent(p, "StepAdvanced"));
  EXPECT_NE(p.status.history.back().message.find("the evidence shows no harm"), std::string::npos);
}

TEST(PlannerAnalysis, ErrorAfterTheHoldDoesNotAdvance) {
  Harness h = analysed();
  h.now += 1h + 1s;
  h.deliver(Verdict::kError, "prometheus unreachable");
  EXPECT_EQ(h.step().status.current_step, 0);
}

TEST(PlannerAnalysis, LastStepPromotesOnlyOnEvidenceThatEveryMetricIsWithin) {
  Harness h = analysed();
  toLastStep(h);
  h.now += 61s;
  h.deliver(Verdict::kInconclusive, "errorRate: about 4,000 more requests needed");
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_NE(p.status.message.find("promotion waits for evidence"), std::string::npos)
      << p.status.message;
  h.now += 61s;
  h.deliver(Verdict::kPass);
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPromoting);
  EXPECT_NE(p.status.history.back().message.find("every metric within its threshold"),
            std::string::npos);
}

// Found by make analysis-sim: at 0.2 req/s a canary with twice the allowed error rate showed no
// harm at 1%, 10% and 50%, entered the 100% step and paused there serving all the traffic.
TEST(PlannerAnalysis, EnteringTheFullTrafficStepNeedsAPassNotJustNoHarm) {
  Harness h = analysed();
  h.now += 1h + 1s;
  h.deliver(Verdict::kInconclusive);
  h.step();
  ASSERT_EQ(h.status.current_step, 1);  // 1% -> 10% on "no harm"
  for (int pass = 0; pass < 3 && !h.status.step_started_at; ++pass)
    h.step();
  h.now += 2h + 1s;
  h.deliver(Verdict::kInconclusive);
  Plan p = h.step();
  EXPECT_EQ(p.status.current_step, 1) << "10% -> 100% is full traffic: it needs a Pass";
  EXPECT_NE(p.status.message.find("full traffic waits for evidence"), std::string::npos)
      << p.status.message;
  h.now += 61s;
  h.deliver(Verdict::kPass);
  p = h.step();
  EXPECT_EQ(p.status.current_step, 2);
}

TEST(PlannerAnalysis, StartAnalysisCarriesTheRevisionsEvidenceStartAcrossSteps) {
  Harness h = analysed();
  const SystemTime started = *h.status.analysis_since;
  toLastStep(h);
  h.now += 61s;
  Plan p = h.step();
  ASSERT_EQ(actionsOf<StartAnalysis>(p).size(), 1u);
  EXPECT_EQ(actionsOf<StartAnalysis>(p)[0].evidence_since, started);
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
  Harness h = analysed(2);
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

TEST(PlannerAnalysis, InconclusiveTimeoutPausesAndRetryResumes) {
  // Issue 12 item 8: a count of checks meant 20 s at a 2 s interval; the policy is a time.
  Harness h = analysed(1, "10m", "Pause");
  toLastStep(h);
  for (int i = 0; i < 10; ++i) {
    h.now += 61s;
    h.deliver(Verdict::kInconclusive);
    h.step();
    EXPECT_EQ(h.status.phase, Phase::kProgressing) << i;
  }
  h.now += 61s;
  h.deliver(Verdict::kInconclusive);
  h.step();
  EXPECT_EQ(h.status.phase, Phase::kPaused);
  EXPECT_TRUE(h.status.analysis_paused);
  EXPECT_EQ(h.status.history.back().reason, "InconclusiveLimit");
  EXPECT_EQ(findCondition(h.status.conditions, kCondPaused)->reason, "InconclusiveLimit");
  EXPECT_NE(h.status.message.find("inconclusiveTimeout"), std::string::npos) << h.status.message;
  h.now += 2h;
  h.deliver(Verdict::kInconclusive);
  Plan p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kPaused);
  h.annotations[kAnnotationRetry] = "";
  p = h.step();
  EXPECT_EQ(p.status.phase, Phase::kProgressing) << p.status.message;
  EXPECT_FALSE(p.status.analysis_paused);
  ASSERT_TRUE(p.status.hold_extended_at.has_value());
  EXPECT_EQ(*p.status.hold_extended_at, std::chrono::floor<std::chrono::seconds>(h.now))
      << "another full timeout after a retry";
  EXPECT_TRUE(hasEvent(p, "RetryAcknowledged"));
  EXPECT_TRUE(hasEvent(p, "Resumed"));
  EXPECT_TRUE(h.annotations.empty());
  h.now += 61s;
  h.deliver(Verdict::kPass);
  EXPECT_EQ(h.step().status.phase, Phase::kPromoting);
}

TEST(PlannerAnalysis, InconclusiveTimeoutRollbackPolicy) {
  Harness h = analysed(1, "5m", "Rollback");
  toLastStep(h);
  for (int i = 0; i < 7; ++i) {
    h.now += 61s;
    h.deliver(Verdict::kInconclusive);
    h.step();
  }
  EXPECT_EQ(h.status.phase, Phase::kRolledBack);
  EXPECT_EQ(h.status.history.back().reason, "InconclusiveLimit");
}

TEST(PlannerAnalysis, AnOutageNeverRunsTheInconclusiveClock) {
  // Issue 12 item 9: Errors counted towards inconclusiveLimit, so an outage decided.
  for (const char* policy : {"Pause", "Rollback"}) {
    Harness h = analysed(1, "10m", policy);
    toLastStep(h);
    h.now += 61s;
    h.deliver(Verdict::kInconclusive);  // the clock starts
    h.step();
    for (int i = 0; i < 30; ++i) {
      h.now += 61s;
      h.deliver(Verdict::kError, "prometheus unreachable");
      h.step();
    }
    EXPECT_EQ(h.status.phase, Phase::kProgressing) << policy;
    EXPECT_FALSE(h.status.analysis_paused) << policy;
    EXPECT_EQ(h.status.consecutive_errors, 30) << policy;
    // Prometheus is back: about 1 minute of the 10 has run, not 31.
    h.now += 61s;
    h.deliver(Verdict::kInconclusive);
    h.step();
    EXPECT_EQ(h.status.phase, Phase::kProgressing) << policy;
    for (int i = 0; i < 9; ++i) {
      h.now += 61s;
      h.deliver(Verdict::kInconclusive);
      h.step();
    }
    EXPECT_NE(h.status.phase, Phase::kProgressing) << policy;
  }
}

TEST(PlannerAnalysis, ErrorsNeverDecideAloneAndBackOff) {
  Harness h = analysed(1);
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
  Harness h = analysed(2);
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
