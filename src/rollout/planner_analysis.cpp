// Consuming analysis verdicts and scheduling checks (issue 5 semantics):
//  - Fail: consecutiveFailures+1; Pass and Inconclusive reset it; Error leaves it alone.
//  - consecutiveInconclusive counts consecutive non-passing checks (Inconclusive, Error, Fail);
//    a Pass resets it.
//  - consecutiveErrors counts consecutive Errors; any judged check resets it. Errors are retried
//    sooner (backoff from kErrorRetryBase, capped at the interval) and never decide on their own.
#include <cstdio>

#include "rollout/planner_internal.h"
#include "rollout/status_json.h"

namespace mr::rollout::detail {
namespace {

bool isForCurrentStep(const PlanContext& c, const LastAnalysis& a) {
  const auto& s = c.st();
  return a.revision == s.canary_revision && a.step == s.current_step &&
         (!s.step_started_at || a.time >= *s.step_started_at);
}

std::string formatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string metricSummary(const LastAnalysis& a) {
  std::string out;
  for (const auto& m : a.metrics) {
    if (!out.empty()) out += "; ";
    out += m.name + "=" + (m.value ? formatNumber(*m.value) : std::string("none")) + " (" +
           m.threshold + ") " + m.verdict;
  }
  return out.empty() ? a.message : out;
}

bool consumeAnalysis(PlanContext& c) {
  if (!c.spec.analysis || !c.in.latest_analysis) return false;
  const auto& r = *c.in.latest_analysis;
  auto& s = c.st();
  LastAnalysis a = lastAnalysisFrom(r);
  a.time = std::chrono::floor<std::chrono::seconds>(r.time);  // what status can store
  if (!isForCurrentStep(c, a)) return false;
  if (s.last_analysis && s.last_analysis->revision == a.revision &&
      s.last_analysis->step == a.step && a.time <= s.last_analysis->time) {
    return false;  // already counted
  }
  const std::string where =
      "check at step " + std::to_string(a.step + 1) + "/" + std::to_string(c.stepCount()) + ": ";
  switch (r.verdict) {
    case analysis::Verdict::kPass:
      s.consecutive_failures = 0;
      s.consecutive_inconclusive = 0;
      s.consecutive_errors = 0;
      break;
    case analysis::Verdict::kFail:
      ++s.consecutive_failures;
      ++s.consecutive_inconclusive;
      s.consecutive_errors = 0;
      c.event("Warning", "CheckFailed", where + metricSummary(a));
      break;
    case analysis::Verdict::kInconclusive:
      s.consecutive_failures = 0;
      ++s.consecutive_inconclusive;
      s.consecutive_errors = 0;
      break;
    case analysis::Verdict::kError:
      ++s.consecutive_inconclusive;
      ++s.consecutive_errors;
      if (s.consecutive_errors == 1) c.event("Warning", "CheckError", where + a.message);
      break;
  }
  s.last_analysis = std::move(a);
  return true;
}

bool currentStepPassed(const PlanContext& c) {
  const auto& a = c.st().last_analysis;
  return a && isForCurrentStep(c, *a) && a->verdict == "Pass";
}

void scheduleAnalysis(PlanContext& c) {
  const auto& s = c.st();
  if (!c.spec.analysis || !s.step_started_at || c.in.analysis_in_flight) return;
  const Millis interval = c.spec.analysis->interval;
  SystemTime due = *s.step_started_at + interval;
  if (s.last_analysis && isForCurrentStep(c, *s.last_analysis)) {
    Millis wait = interval;
    if (s.last_analysis->verdict == "Error") {
      wait = kErrorRetryBase;
      for (int i = 1; i < s.consecutive_errors && wait < interval; ++i)
        wait *= 2;
      wait = std::min(wait, interval);
    }
    due = s.last_analysis->time + wait;
  }
  if (c.real_now >= due) {
    c.act(StartAnalysis{s.current_step, s.stable_revision, s.canary_revision});
  } else {
    c.requeueAt(due);
  }
}

}  // namespace mr::rollout::detail
