// Consuming analysis verdicts and scheduling checks. Checks read the evidence accumulated since
// status.analysisSince (the canary revision's start), so verdicts grow firmer over the steps:
//  - Fail (evidence of harm): consecutiveFailures+1; rollback at failureLimit (planCanary).
//  - Pass and Inconclusive reset consecutiveFailures. A step advances when its hold has elapsed
//    and a check made after the hold end found no harm (Pass or Inconclusive); promotion, and
//    entering a step of weight 100, need a Pass (evidence of "within" for every metric).
//  - consecutiveInconclusive counts consecutive Inconclusive checks (shown, not acted on: the
//    inconclusive policy is a time, inconclusiveTimeout, after the hold).
//  - Error (Prometheus down, bad query) counts apart in consecutiveErrors, is retried sooner
//    (backoff from kErrorRetryBase, capped at the interval) and never decides anything: it
//    neither advances, nor promotes, nor counts as Inconclusive.
#include <cstdio>

#include "analysis/verdict.h"
#include "rollout/planner_internal.h"
#include "rollout/status_json.h"

namespace mr::rollout::detail {
namespace {

bool isForCurrentStep(const PlanContext& c, const LastAnalysis& a) {
  const auto& s = c.st();
  // Made for this entry of the step. An index names another step after an edit of spec.steps,
  // and whole-second times cannot order a check against an entry in the same second (safety
  // simulation, seeds 23591988 and 25443208 of the 10^7 run: a Pass at 50% stored in the second
  // the steps were edited and step 2/2 (100%) re-entered counted as that step's fresh check and
  // promoted). A status from before stepEntry (0) is judged by the times below alone.
  if (s.step_entry != 0 && a.step_entry != s.step_entry) return false;
  // Not a check of an earlier attempt of the same revision (before a retry): its evidence is
  // outside this attempt's range (safety simulation, seed 257766 of the --seed 1 run: a Fail from
  // before an abort rolled back the retry that followed). Kept beside the entry: a status from
  // before stepEntry, an analyzer that does not echo it, and a hold whose start a pause moved
  // forward (updatePause) still need the times.
  return a.revision == s.canary_revision && a.step == s.current_step &&
         (!s.step_started_at || a.time >= *s.step_started_at) &&
         (!s.analysis_since || a.time >= *s.analysis_since);
}

// A check counts only for the attempt it was made for: the result carries the analysisSince its
// StartAnalysis was issued with. Times cannot tell attempts apart: status stores whole seconds,
// and an abort and a retry can follow a check within the second (safety simulation, seeds
// 102770632, 103152229, 104759508 of the 10^8 run: a Fail of the aborted attempt, finished in
// the second the retry started, rolled the retry back). A result without it (an analyzer that
// does not say) is judged by step, revision and time alone.
bool isForCurrentAttempt(const RolloutStatus& s, const analysis::AnalysisResult& r) {
  if (!r.evidence_since || !s.analysis_since) return true;
  using std::chrono::floor;
  using std::chrono::seconds;
  return floor<seconds>(*r.evidence_since) == floor<seconds>(*s.analysis_since);
}

std::string formatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

const MetricStatus* findMetric(const std::optional<LastAnalysis>& a, const std::string& name) {
  if (!a) return nullptr;
  for (const auto& m : a->metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

bool isInvalidSpec(const MetricStatus& m) {
  return m.verdict == "Error" && m.message.rfind(analysis::kInvalidSpecPrefix, 0) == 0;
}

// One Event when a metric starts being skipped or starts failing on its own spec; repeats of
// the same state write nothing (status keeps the previous check).
void reportMetricChanges(PlanContext& c, const LastAnalysis& a) {
  const auto& before = c.in.status.last_analysis;
  for (const auto& m : a.metrics) {
    const MetricStatus* old = findMetric(before, m.name);
    if (m.verdict == "Skipped" && (!old || old->verdict != "Skipped")) {
      c.event("Warning", "MetricNotExported", m.name + ": " + m.message);
    }
    if (isInvalidSpec(m) && (!old || old->message != m.message)) {
      c.event("Warning", "InvalidAnalysisSpec", m.name + ": " + m.message);
    }
  }
}

const LastAnalysis* latestForStep(const PlanContext& c) {
  const auto& a = c.st().last_analysis;
  return a && isForCurrentStep(c, *a) ? &*a : nullptr;
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
  // An analyzer that does not echo the entry: taken as made for the current one (the times in
  // isForCurrentStep still apply).
  if (!r.step_entry) a.step_entry = s.step_entry;
  if (!isForCurrentStep(c, a) || !isForCurrentAttempt(s, r)) return false;
  const auto& stored = s.last_analysis;
  if (stored && stored->revision == a.revision && stored->step == a.step &&
      a.time <= stored->time && (!r.step_entry || stored->step_entry == a.step_entry)) {
    return false;  // already counted
  }
  const std::string where =
      "check at step " + std::to_string(a.step + 1) + "/" + std::to_string(c.stepCount()) + ": ";
  switch (r.verdict) {
    case analysis::Verdict::kSkipped:  // every metric skipped is reported as Inconclusive
    case analysis::Verdict::kPass:
      s.consecutive_failures = 0;
      s.consecutive_inconclusive = 0;
      s.consecutive_errors = 0;
      break;
    case analysis::Verdict::kFail:
      ++s.consecutive_failures;
      s.consecutive_inconclusive = 0;
      s.consecutive_errors = 0;
      c.event("Warning", "CheckFailed", where + metricSummary(a));
      break;
    case analysis::Verdict::kInconclusive:
      s.consecutive_failures = 0;
      ++s.consecutive_inconclusive;
      s.consecutive_errors = 0;
      break;
    case analysis::Verdict::kError:
      // An outage does not run the inconclusive clock: it resumes where it was.
      if (s.hold_extended_at && s.last_analysis && a.time > s.last_analysis->time) {
        *s.hold_extended_at += a.time - std::max(s.last_analysis->time, *s.hold_extended_at);
      }
      ++s.consecutive_errors;
      if (s.consecutive_errors == 1) c.event("Warning", "CheckError", where + a.message);
      break;
  }
  reportMetricChanges(c, a);
  s.last_analysis = std::move(a);
  return true;
}

bool currentStepPassed(const PlanContext& c) {
  const LastAnalysis* a = latestForStep(c);
  return a && a->verdict == "Pass";
}

bool stepDecided(const PlanContext& c, SystemTime hold_end) {
  if (!c.spec.analysis) return true;
  const LastAnalysis* a = latestForStep(c);
  // A check that finished before the hold ended may have missed harm shown since.
  if (!a || a->time < std::chrono::floor<std::chrono::seconds>(hold_end)) return false;
  return needsEvidenceOfWithin(c, c.st().current_step)
             ? a->verdict == "Pass"
             : a->verdict == "Pass" || a->verdict == "Inconclusive";
}

bool needsEvidenceOfWithin(const PlanContext& c, int k) {
  // Promotion, or entering a step that gives the canary all the traffic: a worse canary that
  // low traffic cannot expose must not end up serving everyone (analysis-sim: a 2x error rate
  // at 0.2 req/s reached the 100% step and paused there).
  return k + 1 >= c.stepCount() || c.spec.steps[k + 1].weight >= 100;
}

void noteHoldExtension(PlanContext& c, SystemTime hold_end) {
  auto& s = c.st();
  // A clock from before this hold's end belongs to an earlier entry of the step (its hold
  // restarted: capacity lost, steps edited, spec invalid for a while).
  if (s.hold_extended_at &&
      *s.hold_extended_at < std::chrono::floor<std::chrono::seconds>(hold_end)) {
    s.hold_extended_at.reset();
  }
  if (!c.spec.analysis || s.hold_extended_at) return;
  const LastAnalysis* a = latestForStep(c);
  if (a && a->verdict == "Inconclusive" &&
      a->time >= std::chrono::floor<std::chrono::seconds>(hold_end)) {
    s.hold_extended_at = c.now;  // not a->time: after a retry the clock restarts now
  }
}

bool inconclusiveTimedOut(const PlanContext& c) {
  const auto& s = c.st();
  // The clock stops while paused (updatePause moves holdExtendedAt on resume): spec.paused, or
  // a pause this pass is lifting, never lets it run out (safety simulation, seed 20890803).
  if (!c.spec.analysis || !s.hold_extended_at || s.analysis_paused || !s.step_started_at ||
      c.spec.paused || s.paused_at) {
    return false;
  }
  const int k = std::min(s.current_step, c.stepCount() - 1);
  if (*s.hold_extended_at < *s.step_started_at + c.spec.steps[k].hold) return false;  // stale
  const LastAnalysis* a = latestForStep(c);
  if (!a || a->verdict != "Inconclusive") return false;  // an outage (Error) never decides
  return c.real_now >= *s.hold_extended_at + c.spec.analysis->inconclusive_timeout;
}

std::string invalidAnalysisSpec(const PlanContext& c) {
  const auto& a = c.st().last_analysis;
  if (!c.spec.analysis || !a || a->revision != c.st().canary_revision) return "";
  for (const auto& m : a->metrics) {
    if (isInvalidSpec(m))
      return m.name + ": " + m.message.substr(std::string(analysis::kInvalidSpecPrefix).size());
  }
  return "";
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
  if (c.real_now >= due && s.step_entry != c.in.status.step_entry) {
    // A hold started in this pass: its entry is judged once stored. A check started now and a
    // failed status write would leave it naming an entry the next pass hands out again.
    c.requeueIn(kNextPassDelay);
  } else if (c.real_now >= due) {
    c.act(StartAnalysis{s.current_step, s.stable_revision, s.canary_revision,
                        s.analysis_since ? s.analysis_since : s.step_started_at, s.step_entry});
  } else {
    c.requeueAt(due);
  }
}

}  // namespace mr::rollout::detail
