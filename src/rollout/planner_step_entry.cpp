// Step entry and the evidence it rests on (issue 13, DESIGN.md "Weight follows evidence and
// capacity"): what status records when a step is entered, the re-entry after an edit of
// spec.steps, the weight kept while the canary's own pods do not cover its step, and the
// weight replica-ratio routing really realises.
#include <algorithm>

#include "rollout/planner_internal.h"

namespace mr::rollout::detail {
namespace {

std::string stepName(const PlanContext& c, int k) {
  return std::to_string(k + 1) + "/" + std::to_string(c.stepCount());
}

}  // namespace

void recordStepBasis(PlanContext& c, int k) {
  auto& s = c.st();
  s.step_weight = k < c.stepCount() ? c.spec.steps[k].weight : 100;
  s.steps_fingerprint = c.fingerprint;
}

void clearStepBasis(RolloutStatus& s) {
  s.step_weight = 0;
  s.steps_fingerprint.clear();
}

void startStepHold(PlanContext& c) {
  auto& s = c.st();
  s.step_started_at = c.now;
  // Counted from the stored status: a pass whose status write fails hands the same number out
  // again in the next pass. Harmless, because no check is started for an entry before it is
  // stored (scheduleAnalysis). The CRD bounds it by kMaxStepEntry (a JSON-safe integer): at
  // the bound it starts again at 1, never overflowing and never writing a value the API
  // server would refuse (a rollout whose status cannot be stored is stuck).
  s.step_entry = s.step_entry >= kMaxStepEntry || s.step_entry < 0 ? 1 : s.step_entry + 1;
}

void reenterAfterStepsEdit(PlanContext& c) {
  auto& s = c.st();
  if (s.canary_revision.empty() || s.steps_fingerprint == c.fingerprint) return;
  if (s.steps_fingerprint.empty()) {
    // Stored by a controller that did not record it: adopt the steps as they are.
    if (s.current_step < c.stepCount()) recordStepBasis(c, s.current_step);
    return;
  }
  // Promotion has begun (stable may already run the canary's template): the steps are done.
  const auto& stable = c.world().stable;
  const bool promoting = c.in.status.phase == Phase::kPromoting ||
                         (stable.exists && stable.revision == s.canary_revision);
  if (promoting) {
    s.current_step = c.stepCount();
    recordStepBasis(c, c.stepCount());
    return;
  }
  // What the route carries, but never more than the controller gave the canary: a weight
  // someone else raised is no basis for a step (safety simulation, seed 20262836).
  // Nor more than the stored step's weight: replica ratio reports the ready pods' share, which
  // exceeds the step when stable pods are lost (safety simulation, seed 20270261).
  int carried = std::min(c.world().route_weight.value_or(c.in.status.canary_weight),
                         c.in.status.canary_weight);
  if (c.in.status.step_weight > 0) carried = std::min(carried, c.in.status.step_weight);
  int k = 0;
  for (int i = 0; i < c.stepCount(); ++i) {
    if (c.spec.steps[i].weight <= carried) k = i;
  }
  const int old_step = s.current_step;
  s.current_step = k;
  s.step_started_at.reset();  // planCanary enters it again: fresh hold, fresh checks
  s.consecutive_failures = 0;
  s.consecutive_inconclusive = 0;
  s.consecutive_errors = 0;
  recordStepBasis(c, k);
  c.event("Normal", "StepsChanged",
          "spec.steps changed at step " + std::to_string(old_step + 1) + " (weight " +
              std::to_string(c.in.status.step_weight) + "%); the route carries " +
              std::to_string(carried) + "%: re-entering at step " + stepName(c, k) + " (weight " +
              std::to_string(c.spec.steps[k].weight) + "%) with a fresh hold" +
              (c.spec.analysis ? " and a fresh check" : ""));
}

bool canaryStatusPending(const PlanContext& c) {
  const auto& d = c.world().canary;
  return d.exists && d.revision == c.hash && d.observed_generation < d.generation;
}

int fallbackWeight(const PlanContext& c, int k) {
  if (k <= 0) return 0;
  const int previous = c.spec.steps[k - 1].weight;
  if (canaryStatusPending(c)) {
    // The Deployment controller has not yet seen our last change to this revision's canary
    // (only its replicas change within a revision), so its counts are not news: keep what the
    // route carries, never more than the previous step.
    const int carried = c.world().route_weight.value_or(c.in.status.canary_weight);
    return std::min(carried, previous);
  }
  return c.canaryAvailable(canaryReplicasFor(c.spec.replicas, previous)) ? previous : 0;
}

int promotionWeight(const PlanContext& c) {
  const int stored = c.in.status.canary_weight;
  // Replica ratio's weight is the ready pods' share: it falls with them by itself.
  if (stored <= 0 || !c.routed()) return stored;
  const int replicas = canaryReplicasFor(c.spec.replicas, stored);
  return c.canaryAvailableAt(c.st().canary_revision, replicas) ? stored : 0;
}

int realisedWeight(const PlanContext& c, int k) {
  const int weight = c.spec.steps[k].weight;
  if (c.routed()) return weight;
  // The root Service spreads requests over the ready pods of both roles.
  const int canary = canaryReplicasFor(c.spec.replicas, weight);
  const int all = canary + c.spec.replicas;
  return all == 0 ? 0 : (200 * canary + all) / (2 * all);  // rounded half up, as the router
}

std::string realisedNote(const PlanContext& c, int k) {
  const int realised = realisedWeight(c, k);
  if (realised == c.spec.steps[k].weight) return "";
  return " (realised " + std::to_string(realised) + "% by replica ratio)";
}

void noteApproximatedWeight(PlanContext& c, int k) {
  const int realised = realisedWeight(c, k);
  const int weight = c.spec.steps[k].weight;
  if (realised == weight) return;
  const int canary = canaryReplicasFor(c.spec.replicas, weight);
  c.event("Normal", "WeightApproximated",
          "step " + stepName(c, k) + ": weight " + std::to_string(weight) + "% is realised as " +
              std::to_string(realised) + "% by replica ratio (" + std::to_string(canary) +
              " canary pod(s) beside " + std::to_string(c.spec.replicas) +
              " stable); use Gateway API or Istio routing, or more replicas, for exact weights");
}

}  // namespace mr::rollout::detail
