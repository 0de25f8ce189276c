// Progress deadlines (docs/lifecycle.md, "Progress deadline"): a canary that does not get the
// available pods of its step, or a stable Deployment that does not become available while
// promoting, within spec.progressDeadlineSeconds. The clock is status.waitingSince (it survives
// restarts and leader changes); it starts at the first pass that waits and is cleared by any
// pass that does not wait (the pods came, a pause, a rollback, a new step entered at once).
// The reason shown is what the cluster said about the pods (ObservedDeployment::
// not_ready_reason, gathered by the reconciler); the planner only decides.
#include "rollout/conditions.h"
#include "rollout/planner_internal.h"

namespace mr::rollout::detail {
namespace {

constexpr const char* kDeadlineReason = "ProgressDeadlineExceeded";

// Starts the clock at the first waiting pass; true once the deadline has passed, else a
// requeue at the deadline.
bool clockPassed(PlanContext& c) {
  auto& s = c.st();
  c.waited_for_pods = true;
  if (!s.waiting_since) s.waiting_since = c.now;
  const SystemTime deadline = *s.waiting_since + c.spec.progress_deadline;
  if (c.real_now >= deadline) return true;
  c.requeueAt(deadline);
  return false;
}

std::string podsSay(const ObservedDeployment& d) {
  return d.not_ready_reason.empty() ? "the pods report no reason" : d.not_ready_reason;
}

std::string within(const PlanContext& c) {
  return "within progressDeadlineSeconds " + std::to_string(c.spec.progress_deadline.count());
}

}  // namespace

bool canaryDeadlinePassed(PlanContext& c, int replicas) {
  if (c.canaryAvailable(replicas)) return false;
  if (!clockPassed(c)) return false;
  auto& s = c.st();
  const auto& d = c.world().canary;
  const std::string message =
      "canary revision " + s.canary_revision + " did not get " + std::to_string(replicas) +
      " available replicas for step " + std::to_string(s.current_step + 1) + "/" +
      std::to_string(c.stepCount()) + " " + within(c) + " (" +
      std::to_string(d.available_replicas) + "/" + std::to_string(replicas) +
      " available): " + podsSay(d);
  if (!c.spec.progress_deadline_abort) {
    c.deadline_exceeded = message + "; waiting, progressDeadlineAbort is false";
    return false;
  }
  rollback(c, kDeadlineReason, message + "; rolled back");
  c.deadline_exceeded = c.st().message;
  c.waited_for_pods = false;  // nothing is waited for any more
  return true;
}

void stableDeadline(PlanContext& c) {
  if (!clockPassed(c)) return;
  const auto& s = c.st();
  const auto& d = c.world().stable;
  // No automatic rollback here: the stable Deployment already runs the new template and the
  // previous one is no longer in spec, so it cannot be rebuilt. The canary keeps its traffic.
  c.deadline_exceeded = "promoting " + s.canary_revision +
                        ": the stable Deployment did not become available " + within(c) + " (" +
                        std::to_string(d.available_replicas) + "/" +
                        std::to_string(c.spec.replicas) + " available): " + podsSay(d) +
                        "; the canary keeps its traffic; set spec.template back to revision " +
                        s.stable_revision + " to roll back";
}

void finishDeadline(PlanContext& c) {
  auto& s = c.st();
  if (!c.waited_for_pods) s.waiting_since.reset();
  const Phase phase = s.phase.value_or(Phase::kHealthy);
  const Condition* before = findCondition(c.in.status.conditions, kCondProgressing);
  const bool reported =
      before && before->status == "False" && before->reason == kDeadlineReason;
  if (c.deadline_exceeded.empty()) {
    // A rollout rolled back for its deadline keeps saying so until the next rollout starts.
    if (phase == Phase::kRolledBack && reported) {
      setCondition(s.conditions, kCondProgressing, "False", kDeadlineReason, before->message,
                   c.in.generation, c.now);
    }
    return;
  }
  if (phase == Phase::kProgressing || phase == Phase::kPromoting) {
    s.message = c.deadline_exceeded;
  }
  setCondition(s.conditions, kCondProgressing, "False", kDeadlineReason, c.deadline_exceeded,
               c.in.generation, c.now);
  // A rollback already recorded its Event (the transition); a rollout left waiting gets one
  // when the deadline first passes.
  if (!reported && phase != Phase::kRolledBack) {
    c.event("Warning", kDeadlineReason, c.deadline_exceeded);
  }
}

}  // namespace mr::rollout::detail
