// One function per state and transition of the rollout state machine (docs/lifecycle.md);
// the promotion's are in planner_promotion.cpp.
#include <algorithm>

#include "common/duration.h"
#include "common/time_format.h"
#include "rollout/planner_internal.h"

namespace mr::rollout::detail {

std::string stepLabel(const PlanContext& c, int step) {
  return std::to_string(step + 1) + "/" + std::to_string(c.stepCount());
}

void resetCounters(RolloutStatus& s) {
  s.consecutive_failures = 0;
  s.consecutive_inconclusive = 0;
  s.consecutive_errors = 0;
}

namespace {

// Transition only when the phase changes; otherwise just refresh the message.
void settle(PlanContext& c, Phase to, const std::string& reason, const std::string& message) {
  if (c.st().phase != to) {
    c.transition(to, reason, message);
  } else {
    c.st().message = message;
  }
}

// The stable Deployment is gone while spec.template holds another revision: its template cannot
// be rebuilt, so nothing is guessed. The user reverts the template or promotes.
void stableMissing(PlanContext& c) {
  const std::string message =
      "stable Deployment (revision " + c.st().stable_revision +
      ") is missing and its template is no longer in spec; set spec.template back to it, or "
      "promote the current template with " +
      kAnnotationPromote + "=full";
  if (c.in.status.phase != Phase::kDegraded || c.in.status.message != message) {
    c.transition(Phase::kDegraded, "StableMissing", message);
  }
  c.ensureServices(c.st().stable_revision, c.st().canary_revision);
  c.requeueIn(kDegradedPoll);
}

// What a pass in the middle of a running hold says; also set when a step is entered, so the
// pass after entry has nothing new to write.
std::string holdMessage(const PlanContext& c, int k, SystemTime hold_end) {
  return "step " + stepLabel(c, k) + ": canary weight " + std::to_string(c.spec.steps[k].weight) +
         "%" + realisedNote(c, k) + ", hold until " + formatRfc3339(hold_end);
}

// The hold of step k elapsed (and its last check passed): enter step k+1 or promote.
void advance(PlanContext& c) {
  auto& s = c.st();
  const int k = s.current_step;
  const bool last = needsEvidenceOfWithin(c, k);
  const std::string why = "hold " + formatDuration(c.spec.steps[k].hold) + " elapsed" +
                          (!c.spec.analysis ? ""
                           : last ? " and the evidence shows every metric within its threshold"
                                  : " and the evidence shows no harm");
  const std::string passed = "step " + stepLabel(c, k) + " passed (" + why + ")";
  if (k + 1 >= c.stepCount()) {
    startPromotion(c, "AllStepsPassed", passed + "; promoting revision " + s.canary_revision);
    return;
  }
  const int next = k + 1;
  const Step& step = c.spec.steps[next];
  const int replicas = canaryReplicasFor(c.spec.replicas, step.weight);
  s.current_step = next;
  s.hold_extended_at.reset();
  recordStepBasis(c, next);
  resetCounters(s);
  // The canary replicas this pass leaves (it may have scaled the canary down for step k, e.g.
  // after an edit of spec.steps): pods it is removing do not cover the next step.
  const auto& canary = c.world().canary;
  int planned = canary.replicas;
  EnsureCanary* scaling = nullptr;
  for (auto& a : c.out.actions) {
    if (auto* e = std::get_if<EnsureCanary>(&a)) {
      planned = e->replicas;
      scaling = e;
    }
  }
  if (scaling && planned < replicas && canary.exists && canary.revision == c.hash &&
      planned < canary.replicas) {
    // This pass scales the canary down for step k (re-entered after an edit of spec.steps) and
    // leaves it at once: keep the pods step k+1 needs instead of removing them now and adding
    // them back next pass. Replica ratio: never more than the stored status allows before
    // its write (its pods are its traffic).
    int keep = std::min(canary.replicas, replicas);
    if (!c.routed() && c.in.status.canary_revision == s.canary_revision) {
      keep = std::min(keep, canaryReplicasFor(c.spec.replicas, c.in.status.step_weight));
    } else if (!c.routed()) {
      keep = 0;
    }
    if (keep > planned) scaling->replicas = planned = keep;
  }
  if (planned < replicas || !c.canaryAvailable(replicas)) {
    // More canary pods are needed first; they are added next pass, once the stored status
    // says this step, and the weight (and the hold) follows when they are available.
    s.step_started_at.reset();
    c.transition(Phase::kProgressing, "StepAdvanced",
                 passed + "; advancing to step " + stepLabel(c, next) + " (weight " +
                     std::to_string(step.weight) + "%) once " + std::to_string(replicas) +
                     " canary replicas are available");
    c.requeueIn(kNextPassDelay);
    return;
  }
  // The canary already has the pods for this step: enter it in one pass. The status (step,
  // stepStartedAt, weight) is stored first; the weight is raised only after that write
  // (after_status). If that SetWeight never lands, the next pass finds the route at the
  // previous step's weight, puts it back (RouteDrift) and restarts the hold (planCanary).
  startStepHold(c);
  const auto& read = c.world().route_weight;
  // Replica ratio reports an effective weight; it does not move when no pod changes.
  s.canary_weight = c.routed() || !read ? step.weight : *read;
  c.transition(Phase::kProgressing, "StepAdvanced",
               passed + "; advancing to step " + stepLabel(c, next) + " (weight " +
                   std::to_string(step.weight) + "%): started with " + std::to_string(replicas) +
                   " canary replicas, hold " + formatDuration(step.hold));
  noteApproximatedWeight(c, next);
  const SystemTime hold_end = c.now + step.hold;
  s.message = holdMessage(c, next, hold_end);
  // Step k's own after-status weight (and replica ratio's pods), planned earlier in this pass
  // when it was entered, is superseded by step k+1's: one write each, not two.
  std::erase_if(c.out.after_status, [](const Action& a) {
    return std::holds_alternative<SetWeight>(a) || std::holds_alternative<EnsureCanary>(a);
  });
  if (planned != replicas) c.actAfterStatus(EnsureCanary{c.spec.pod_template, replicas, c.hash});
  if (!read || *read != step.weight) c.actAfterStatus(SetWeight{step.weight});
  scheduleAnalysis(c);
  c.requeueAt(hold_end);
}

// Pause bookkeeping: the hold clock stops while paused. Returns whether the canary is paused.
bool updatePause(PlanContext& c) {
  auto& s = c.st();
  const bool paused = c.spec.paused || s.analysis_paused;
  if (!paused && s.paused_at) {
    if (s.step_started_at) *s.step_started_at += c.now - *s.paused_at;
    if (s.hold_extended_at) *s.hold_extended_at += c.now - *s.paused_at;
    s.paused_at.reset();
  } else if (paused && !s.paused_at) {
    s.paused_at = c.now;
  }
  const int k = s.current_step;
  if (paused) {
    const std::string why =
        s.analysis_paused
            ? "no decision " + formatDuration(c.spec.analysis->inconclusive_timeout) +
                  " after the hold ended (inconclusiveTimeout): " +
                  (s.last_analysis ? s.last_analysis->message : std::string("no check yet")) +
                  "; set " + kAnnotationRetry + " to resume"
            : std::string("spec.paused is true");
    settle(c, Phase::kPaused, s.analysis_paused ? "InconclusiveLimit" : "Paused",
           "paused at step " + stepLabel(c, k) + " (canary weight " +
               std::to_string(s.canary_weight) + "%): " + why);
  } else {
    settle(c, Phase::kProgressing, c.in.status.phase == Phase::kPaused ? "Resumed" : "Recovered",
           "resumed at step " + stepLabel(c, k) + " (canary weight " +
               std::to_string(s.canary_weight) + "%)");
  }
  return paused;
}

// promote annotation inside a canary. Returns true when the promotion started.
bool handlePromote(PlanContext& c) {
  if (!c.hasAnnotation(kAnnotationPromote)) return false;
  const std::string value = c.annotation(kAnnotationPromote);
  const int k = c.st().current_step;
  if (value == "full") {
    c.acknowledge(kAnnotationPromote);
    startPromotion(c, "PromotedFull",
                   std::string(kAnnotationPromote) + "=full at step " + stepLabel(c, k) +
                       ": remaining steps and analysis skipped");
    return true;
  }
  if (value != "true" && !value.empty()) {
    c.acknowledge(kAnnotationPromote);
    c.event("Warning", "PromoteIgnored",
            std::string(kAnnotationPromote) + "=\"" + value + "\" ignored: use true or full");
    return false;
  }
  if (c.spec.analysis && !currentStepPassed(c)) return false;  // kept until a check passes
  c.acknowledge(kAnnotationPromote);
  startPromotion(c, "PromoteRequested",
                 std::string(kAnnotationPromote) + "=true at step " + stepLabel(c, k) +
                     (c.spec.analysis ? " after a passing check" : "") +
                     ": remaining steps skipped");
  return true;
}

}  // namespace

void planFirstDeploy(PlanContext& c) {
  auto& s = c.st();
  s.stable_revision = c.hash;
  s.canary_revision.clear();
  s.current_step = 0;
  s.step_started_at.reset();
  resetCounters(s);
  c.act(EnsureStable{c.spec.pod_template, c.spec.replicas, c.hash});
  c.ensureServices(c.hash, "");
  c.ensureWeight(0);
  c.transition(Phase::kHealthy, "Deployed",
               "revision " + c.hash + " deployed as stable with " +
                   std::to_string(c.spec.replicas) + " replicas (first deploy, no canary)");
}

void planSteady(PlanContext& c, State state) {
  auto& s = c.st();
  if (state == State::kSteady) {
    c.noteRecreated();
    c.act(EnsureStable{c.spec.pod_template, c.spec.replicas, c.hash});
  } else if (!c.world().stable.exists) {
    stableMissing(c);
    return;
  }
  // Traffic off the canary first (replica ratio: its pods are its traffic), then the rest:
  // a rollback stored before its actions ran is finished here before anything else.
  c.ensureWeight(0);
  if (c.world().canary.exists && c.world().canary.replicas > 0) c.act(ScaleCanary{0});
  c.ensureServices(s.stable_revision, "");
  s.step_started_at.reset();
  s.paused_at.reset();
  s.analysis_paused = false;
  if (!s.rolled_back_revision.empty()) {
    // Sticky until the next rollout or a retry; the message still says why.
    if (c.st().phase != Phase::kRolledBack) {
      c.transition(Phase::kRolledBack, "RolledBack",
                   "revision " + s.rolled_back_revision + " was rolled back; stable is " +
                       s.stable_revision);
    }
    return;
  }
  settle(c, Phase::kHealthy, "Recovered",
         "revision " + s.stable_revision + " is stable (" + std::to_string(c.spec.replicas) +
             " replicas)");
}

void planNewTemplate(PlanContext& c) {
  auto& s = c.st();
  if (!c.world().stable.exists) {
    stableMissing(c);
    return;
  }
  if (c.spec.paused) {
    // No canary runs yet: none may serve (replica ratio: its pods are traffic). Traffic and
    // pods go first, as planSteady: a rollback stored before its actions ran (or a failed
    // canary someone scaled up again) is finished before any other write (safety simulation,
    // seeds 20706666 and 21202140).
    c.ensureWeight(0);
    if (c.world().canary.exists && c.world().canary.replicas > 0) c.act(ScaleCanary{0});
    c.ensureServices(s.stable_revision, "");
    settle(c, Phase::kPaused, "Paused",
           "revision " + c.hash + " is waiting: spec.paused is true (stable " + s.stable_revision +
               ")");
    return;
  }
  const bool retry = c.in.status.rolled_back_revision == c.hash;
  startCanary(c, retry ? "RetryStarted" : "CanaryStarted",
              (retry ? "retrying rolled-back revision " : "new revision ") + c.hash +
                  " starts as canary at step " + stepLabel(c, 0) + " (weight " +
                  std::to_string(c.spec.steps[0].weight) + "%, " +
                  std::to_string(canaryReplicasFor(c.spec.replicas, c.spec.steps[0].weight)) +
                  " replicas); stable " + s.stable_revision);
}

void startCanary(PlanContext& c, const std::string& reason, const std::string& message) {
  auto& s = c.st();
  s.canary_revision = c.hash;
  s.rolled_back_revision.clear();
  s.current_step = 0;
  recordStepBasis(c, 0);
  s.step_started_at.reset();
  s.paused_at.reset();
  s.analysis_paused = false;
  s.hold_extended_at.reset();
  // Evidence of this revision starts now: earlier data (a previous attempt of the same
  // revision, another canary) is outside every query's range.
  s.analysis_since = c.now;
  resetCounters(s);
  // On a restart the old canary's pods are replaced: take its traffic away first.
  c.ensureWeight(0);
  // Replica ratio: canary pods are traffic, so they start only once the status naming the step
  // is stored (a crash before it would leave them serving under a Healthy status).
  const int target =
      c.canaryReplicasNow(canaryReplicasFor(c.spec.replicas, c.spec.steps[0].weight));
  c.act(EnsureCanary{c.spec.pod_template, c.routed() ? target : 0, c.hash});
  if (!c.routed() && target > 0)
    c.actAfterStatus(EnsureCanary{c.spec.pod_template, target, c.hash});
  c.ensureServices(s.stable_revision, c.hash);
  c.transition(Phase::kProgressing, reason, message);
  c.requeueIn(kAvailabilityPoll);
}

void rollback(PlanContext& c, const std::string& reason, const std::string& message) {
  auto& s = c.st();
  if (!s.canary_revision.empty()) s.rolled_back_revision = s.canary_revision;
  s.canary_revision.clear();
  s.step_started_at.reset();
  s.paused_at.reset();
  s.analysis_paused = false;
  s.hold_extended_at.reset();
  s.analysis_since.reset();
  clearStepBasis(s);
  s.canary_weight = 0;
  c.transition(Phase::kRolledBack, reason, message);
  // Status first: the stored RolledBack (with rolledBackRevision and the verdict in
  // lastAnalysis) is what keeps the failed revision off from now on; every later pass repeats
  // these (planSteady), so a crash before or between them never gives it traffic or pods again.
  // Order matters: all traffic to stable first, then the canary goes away.
  const auto& read = c.world().route_weight;
  if (!read || *read != 0) c.actAfterStatus(SetWeight{0});
  if (c.world().canary.exists) c.actAfterStatus(ScaleCanary{0});
  c.actAfterStatus(EnsureServices{c.stableSelector(s.stable_revision), ""});
}

void planCanary(PlanContext& c) {
  auto& s = c.st();
  const int k = s.current_step;
  if (c.hash != s.canary_revision) {
    if (c.hash == s.stable_revision) {
      rollback(c, "TemplateReverted",
               "spec.template reverted to stable revision " + s.stable_revision + " at step " +
                   stepLabel(c, k) + "; canary " + s.canary_revision + " rolled back");
    } else if (!c.world().stable.exists) {
      stableMissing(c);
    } else {
      startCanary(c, "CanaryRestarted",
                  "newer revision " + c.hash + " replaces canary " + s.canary_revision +
                      " at step " + stepLabel(c, k) + "; restarting at step " + stepLabel(c, 0));
    }
    return;
  }
  if (!c.world().stable.exists) {
    stableMissing(c);
    return;
  }
  c.noteRecreated();
  if (c.routed() && !c.world().route_exists) {
    // Keep what runs; the route guard in plan() reports Degraded. Nothing advances.
    c.act(EnsureCanary{c.spec.pod_template,
                       canaryReplicasFor(c.spec.replicas, c.spec.steps[k].weight), c.hash});
    c.ensureServices(s.stable_revision, c.hash);
    return;
  }
  consumeAnalysis(c);
  if (c.spec.analysis) {
    const auto& a = *c.spec.analysis;
    if (s.consecutive_failures >= a.failure_limit) {
      rollback(c, "AnalysisFailed",
               std::to_string(s.consecutive_failures) + " consecutive failed check(s) at step " +
                   stepLabel(c, k) + " (failureLimit " + std::to_string(a.failure_limit) +
                   "): " + metricSummary(*s.last_analysis));
      return;
    }
    // Too long past the hold without a decision (Inconclusive; an outage never counts).
    if (inconclusiveTimedOut(c)) {
      const std::string why = "no decision " + formatDuration(a.inconclusive_timeout) +
                              " after the hold of step " + stepLabel(c, k) +
                              " ended (inconclusiveTimeout): " + metricSummary(*s.last_analysis);
      if (a.on_inconclusive_limit == analysis::InconclusiveLimitPolicy::kRollback) {
        rollback(c, "InconclusiveLimit", why + " (onInconclusiveLimit Rollback)");
        return;
      }
      s.analysis_paused = true;
    }
  }
  if (handlePromote(c)) return;
  const bool paused = updatePause(c);

  const Step& step = c.spec.steps[k];
  const int replicas = canaryReplicasFor(c.spec.replicas, step.weight);
  if (!s.step_started_at && !paused && canaryDeadlinePassed(c, replicas)) return;
  // Fewer pods for this step (the steps were edited): a route lowers the weight first, and the
  // pods follow once it carries at most the step's weight. Replica ratio's weight is the pods.
  const auto& read = c.world().route_weight;
  const bool shrinking = c.world().canary.exists && c.world().canary.replicas > replicas;
  // Whether the stored status already names this step of this canary, i.e. it was not entered
  // (re-entered after an edit of spec.steps) in this pass: only then may its weight, and
  // replica ratio's canary pods (its weight), be raised before the status write (planner.h).
  const auto& was = c.in.status;
  const bool stored = was.canary_revision == s.canary_revision && was.current_step == k &&
                      was.steps_fingerprint == s.steps_fingerprint;
  if (!shrinking || !c.routed() || (read && *read <= step.weight)) {
    const int target = c.canaryReplicasNow(replicas);
    const auto& d = c.world().canary;
    // Replica ratio before the status write: no more pods than the stored step allows with
    // the spec's replicas now (pods someone else added, or spec.replicas lowered).
    const int stored_allows = was.canary_revision == s.canary_revision
                                  ? canaryReplicasFor(c.spec.replicas, was.step_weight)
                                  : 0;
    const int kept =
        d.exists && d.revision == c.hash ? std::min({d.replicas, target, stored_allows}) : 0;
    c.act(EnsureCanary{c.spec.pod_template, stored || c.routed() ? target : kept, c.hash});
    if (!stored && !c.routed() && target > kept) {
      c.actAfterStatus(EnsureCanary{c.spec.pod_template, target, c.hash});
    }
  }
  c.ensureServices(s.stable_revision, c.hash);

  const bool covered = c.canaryAvailable(replicas);
  const std::string pods = std::to_string(ownAvailableReplicas(c.world().canary)) + "/" +
                           std::to_string(replicas) + " available";
  if (s.step_started_at && !covered && !canaryStatusPending(c)) {
    // Weight follows capacity: pods lost or scaled away after the step started. The hold
    // starts again with the weight, once the canary's own pods cover the step.
    s.step_started_at.reset();
    c.event("Warning", "CanaryUnavailable",
            "step " + stepLabel(c, k) + ": canary revision " + c.hash + " has " + pods +
                "; weight back to " + std::to_string(fallbackWeight(c, k)) +
                "% until it covers the step, then the hold starts again");
  }
  // Whether the route gets this step's weight only after this pass's status write (a step
  // re-entered below it, a hold restarted below it): the step has not been served at its
  // weight yet, so its hold, even a 0 s one, does not end in this pass (safety simulation,
  // seed 20403881: a 0 s last step promoted with the route at 20%).
  bool weight_pending = false;
  if (!s.step_started_at) {
    if (paused || !covered) {
      c.ensureWeight(fallbackWeight(c, k));
      if (!paused) {
        s.message = "step " + stepLabel(c, k) + ": waiting for the canary, " + pods;
        c.requeueIn(kAvailabilityPoll);
      }
      return;
    }
    if (stored) {
      c.ensureWeight(step.weight);
    } else {
      // A route above the step (someone else's) comes down now, to the canary's stored
      // weight; the step's weight follows the status write.
      int carried = read ? *read : -1;
      // Nor above the stored step's weight: a canaryWeight kept while the route was missing
      // may be from before an earlier steps re-entry (safety simulation, seed 102312037).
      int allowed = std::min(step.weight, c.in.status.canary_weight);
      if (was.canary_revision == s.canary_revision && was.step_weight > 0) {
        allowed = std::min(allowed, was.step_weight);
      }
      if (c.routed() && read && *read > step.weight) {
        c.act(SetWeight{allowed});
        carried = allowed;
      }
      s.canary_weight = c.routed() || !read ? step.weight : *read;
      if (carried != step.weight) {
        c.actAfterStatus(SetWeight{step.weight});
        // The last step only: a promotion needs it served at its weight. An earlier 0 s step
        // re-entered below the route may be left at once (waiting would scale the canary down
        // and up again: StepsEditReentryDecidedAtOnceDoesNotScaleTheCanaryDownAndUpAgain).
        // Replica ratio's SetWeight is a read; its pods follow the status write as they did.
        weight_pending = c.routed() && k + 1 >= c.stepCount();
      }
    }
    startStepHold(c);
    c.event("Normal", "StepStarted",
            "step " + stepLabel(c, k) + ": canary weight " + std::to_string(step.weight) +
                "% with " + std::to_string(replicas) + " canary replicas, hold " +
                formatDuration(step.hold));
    noteApproximatedWeight(c, k);
  } else if (!paused && c.routed() && read && *read < step.weight) {
    // The route carries less than this step's weight: its SetWeight after the status write
    // of the step entry never landed (a failure, or the process died before it), or someone
    // else lowered it. The evidence since was not gathered at this step's weight, so the
    // hold starts again when the weight is back (safety simulation, seed 20427869: a Pass
    // that arrived with the last step's 100% lowered to 23% promoted). The weight goes back
    // only after the status storing the restarted hold: were it put back first and that write
    // failed, the next pass would find the route right and the old hold elapsed, and promote
    // on the check made at the lowered weight (safety simulation, seed 26907145). A route
    // above the step comes down at once (ensureWeight below).
    startStepHold(c);
    c.event("Warning", "RouteDrift",
            c.routeDescription() + " carried " + std::to_string(*read) +
                "% to the canary, expected " + std::to_string(step.weight) +
                "%; put back with a fresh hold");
    s.canary_weight = step.weight;
    c.actAfterStatus(SetWeight{step.weight});
    weight_pending = true;
  } else {
    c.ensureWeight(step.weight);
  }
  const SystemTime hold_end = *s.step_started_at + step.hold;
  const bool hold_done = !paused && !weight_pending && c.real_now >= hold_end;
  if (hold_done && stepDecided(c, hold_end)) {
    advance(c);
    return;
  }
  // Past the hold without a decision: the hold extends, and inconclusiveTimeout counts from
  // the first Inconclusive check after it.
  if (hold_done) noteHoldExtension(c, hold_end);
  scheduleAnalysis(c);
  if (paused) return;
  if (!hold_done) {
    c.requeueAt(weight_pending ? std::max(hold_end, c.real_now + kNextPassDelay) : hold_end);
    s.message = holdMessage(c, k, hold_end);
  } else {
    const bool last = needsEvidenceOfWithin(c, k);
    const auto& la = s.last_analysis;
    s.message =
        "step " + stepLabel(c, k) + ": canary weight " + std::to_string(step.weight) +
        "%, hold elapsed; " +
        (last ? (k + 1 >= c.stepCount() ? std::string("promotion") : std::string("full traffic")) +
                    " waits for evidence that every metric is within its threshold"
              : "waiting for a check after the hold that shows no harm") +
        (la ? " (last check: " + la->message + ")" : std::string());
    if (c.spec.analysis && s.hold_extended_at) {
      // Only while it is ahead: past it, it fires at the next Inconclusive check, whose own
      // due time scheduleAnalysis requeues for (a past time here was a 0 ms requeue loop).
      const SystemTime limit = *s.hold_extended_at + c.spec.analysis->inconclusive_timeout;
      if (limit > c.real_now) c.requeueAt(limit);
    }
  }
}

}  // namespace mr::rollout::detail
