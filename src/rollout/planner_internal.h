// Internals shared by the planner's translation units (planner.cpp: entry and bookkeeping,
// planner_transitions.cpp: one function per state/transition, planner_analysis.cpp: consuming
// verdicts and scheduling checks). Not part of the public API.
// Thread-safety: a PlanContext lives on one thread for one plan() call.
#pragma once

#include <string>
#include <vector>

#include "rollout/planner.h"

namespace mr::rollout::detail {

using Millis = std::chrono::milliseconds;

// What the stored status and the spec say is going on, before any transition this pass.
enum class State {
  kFirstDeploy,     // no stable revision known
  kSteady,          // template == stable, no canary
  kRolledBackHold,  // template == the rolled-back revision: wait for a change or retry
  kNewTemplate,     // template differs from stable, no canary yet
  kCanary,          // a canary at status.currentStep (Progressing or Paused)
  kPromoting,       // stable is taking the canary's template
};

struct PlanContext {
  PlanContext(const PlanInput& input, const ModelRolloutSpec& spec);

  const PlanInput& in;
  const ModelRolloutSpec& spec;
  std::string hash;         // revision of spec.template
  std::string fingerprint;  // stepsFingerprint(spec.steps)
  SystemTime now;           // truncated to seconds: what status stores
  Plan out;
  std::vector<std::string> annotations_to_remove;
  std::vector<std::string> annotations_ignored;

  RolloutStatus& st() { return out.status; }
  const RolloutStatus& st() const { return out.status; }
  const ObservedWorld& world() const { return in.world; }
  bool hasAnnotation(const char* key) const { return in.annotations.count(key) > 0; }
  std::string annotation(const char* key) const;

  template <typename T>
  void act(T a) {
    out.actions.emplace_back(std::in_place_type<T>, std::move(a));
  }
  // Runs only once plan.status is stored (Plan::after_status).
  template <typename T>
  void actAfterStatus(T a) {
    out.after_status.emplace_back(std::in_place_type<T>, std::move(a));
  }
  void event(const char* type, const std::string& reason, const std::string& message);
  // A transition: phase/message set, a history entry and an Event (Warning for RolledBack and
  // Degraded, Normal otherwise).
  void transition(Phase to, const std::string& reason, const std::string& message);
  void acknowledge(const char* key) { annotations_to_remove.push_back(key); }
  // Acknowledged without effect: removed first, before anything else (planner.h).
  void ignore(const char* key) { annotations_ignored.push_back(key); }
  void requeueIn(Millis d);  // keeps the earliest
  void requeueAt(SystemTime t);

  bool routed() const { return spec.traffic_routing.kind != RouterKind::kReplicaRatio; }
  std::string routeDescription() const;  // "HTTPRoute fraud-scorer"
  int stepCount() const { return static_cast<int>(spec.steps.size()); }
  // Weight the router must carry now; SetWeight (and RouteDrift) when it does not.
  void ensureWeight(int desired);
  // The canary revision's own pods (newest ReplicaSet, ownAvailableReplicas) cover `replicas`.
  bool canaryAvailable(int replicas) const { return canaryAvailableAt(hash, replicas); }
  bool canaryAvailableAt(const std::string& revision, int replicas) const;
  bool stableAvailableAt(const std::string& revision) const;
  // Replicas for the canary Deployment at spec.template when the step asks for `replicas`.
  // Replica ratio: 0 while it still has pods of another revision (a replaced canary): the
  // root Service selects every canary pod, and a rolling update keeps the old ones serving.
  int canaryReplicasNow(int replicas) const;
  // The stable Service's revision selector for `revision`: none (every stable pod) while the
  // stable Deployment is still rolling to it and its own pods are not yet available (e.g. a
  // promotion reverted: the promoted revision's pods serve until the old ones are back).
  std::string stableSelector(const std::string& revision) const;
  void ensureServices(const std::string& stable_rev, const std::string& canary_rev);
  void noteRecreated();  // Event when managed objects the status says exist are gone

  SystemTime real_now;  // un-truncated, for requeue arithmetic
  // Progress deadline bookkeeping (planner_deadline.cpp).
  bool waited_for_pods = false;   // this pass waited for canary or stable pods
  std::string deadline_exceeded;  // message when the deadline has passed (and no rollback)
};

State deriveState(const PlanContext& c);

// "2/4": step k (0-based) of spec.steps, as messages name it.
std::string stepLabel(const PlanContext& c, int k);
// Failures, inconclusive checks and errors counted from zero (a new step or revision).
void resetCounters(RolloutStatus& s);

// Transition functions (planner_transitions.cpp; the promotion's in planner_promotion.cpp).
void planFirstDeploy(PlanContext& c);
void planSteady(PlanContext& c, State s);  // kSteady or kRolledBackHold
void planNewTemplate(PlanContext& c);
void planCanary(PlanContext& c);
void planPromoting(PlanContext& c);
void rollback(PlanContext& c, const std::string& reason, const std::string& message);
void startCanary(PlanContext& c, const std::string& reason, const std::string& message);
void startPromotion(PlanContext& c, const std::string& reason, const std::string& message);

// Step entry and the evidence it rests on (planner_step_entry.cpp).
// Records in status what entering step k is based on: its weight and the steps' fingerprint.
void recordStepBasis(PlanContext& c, int k);
// Clears that record (no canary any more).
void clearStepBasis(RolloutStatus& s);
// The current step's hold starts now (the step is entered, or its hold restarts):
// stepStartedAt = now and a new status.stepEntry, so no check made before counts for it.
// Every place that starts a hold goes through here.
void startStepHold(PlanContext& c);
// spec.steps changed under a running canary: re-enter at the highest step whose weight is at
// most what the route carries now (step 1 if none), with a fresh hold and fresh checks.
void reenterAfterStepsEdit(PlanContext& c);
// The weight a canary keeps while its own pods do not cover step k: the previous step's weight
// if they cover that, else 0.
int fallbackWeight(const PlanContext& c, int k);
// The canary Deployment (of this revision) has a spec change its controller has not observed
// yet (a scale): its status says nothing new, so it is no reason to take weight away.
bool canaryStatusPending(const PlanContext& c);
// While promoting: the canary keeps its stored weight only while its own pods cover it (a
// routed weight on a canary without pods is an outage), else 0.
int promotionWeight(const PlanContext& c);
// Replica ratio: the weight step k really gets (canary pods / all pods); the step's weight
// for routed traffic.
int realisedWeight(const PlanContext& c, int k);
// " (realised 33% by replica ratio)" when the realised weight differs, else "".
std::string realisedNote(const PlanContext& c, int k);
// The Event of a step entered whose realised weight differs from the step's (replica ratio).
void noteApproximatedWeight(PlanContext& c, int k);
// Progress deadline (planner_deadline.cpp). The canary hook runs in planCanary before a step's
// weight is set: while the canary lacks the pods for step k it starts (or keeps) the clock in
// status.waitingSince and, once spec.progressDeadlineSeconds passed, rolls back
// (progressDeadlineAbort) and returns true, or reports and returns false.
bool canaryDeadlinePassed(PlanContext& c, int replicas);
// planPromoting while the stable Deployment is not yet available: clock and report only.
void stableDeadline(PlanContext& c);
// After the conditions: clears the clock when nothing was waited for, and turns a passed
// deadline into the message, Progressing=False/ProgressDeadlineExceeded and one Event.
void finishDeadline(PlanContext& c);

// world.blocked_reason set (planner_guards.cpp): drops every action, keeps the stored status,
// reports Degraded (one Event per distinct message). Returns true when it applied.
bool applyBlockedGuard(PlanContext& c);

// Analysis (planner_analysis.cpp).
// Folds latest_analysis into the counters if it is new and for this step and revision.
// Returns true when a result was consumed.
bool consumeAnalysis(PlanContext& c);
// The latest consumed check for the current step and canary passed.
bool currentStepPassed(const PlanContext& c);
// The step whose hold ends at `hold_end` may be left: no analysis, or a check made after the
// hold end that found no harm (the last step: that showed every metric within, Pass).
bool stepDecided(const PlanContext& c, SystemTime hold_end);
// Leaving step k needs a Pass, not just "no harm": it is the last step (promotion) or the next
// one gives the canary 100% of the traffic.
bool needsEvidenceOfWithin(const PlanContext& c, int k);
// Starts the inconclusive clock (status.holdExtendedAt) at the first Inconclusive check made
// after the hold ended; Errors pause it (consumeAnalysis).
void noteHoldExtension(PlanContext& c, SystemTime hold_end);
// The hold has been extended for analysis.inconclusiveTimeout without a decision (the latest
// check is Inconclusive; Errors never count).
bool inconclusiveTimedOut(const PlanContext& c);
// "metric: why" when the latest check of this canary found its own spec unusable (e.g.
// latencyP99.maxMs above the histogram's top bucket); empty otherwise.
std::string invalidAnalysisSpec(const PlanContext& c);
// StartAnalysis if a check is due; requeue at the next due time otherwise.
void scheduleAnalysis(PlanContext& c);
std::string metricSummary(const LastAnalysis& a);  // "errorRate=0.004 (<= 0.001) Fail, ..."

}  // namespace mr::rollout::detail
