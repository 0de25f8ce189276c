// The blocked guard: the reconciler found that acting would write an object that is not ours
// (an existing Service or Deployment with our names that another controller owns or that we
// did not create, issue 13 item 8) or would split a route that is not fit for it (verify()
// failed, or 403; item 9). Acting anyway gave a 422 or an error on every pass with no status.
// Instead the pass is Degraded with the reason and the object's name, sends no write (not even
// the weight), keeps the stored status (step, hold, counters) so the rollout resumes where it
// was once the user fixes it, and records one Event per distinct message.
#include "rollout/planner_internal.h"

namespace mr::rollout::detail {

bool applyBlockedGuard(PlanContext& c) {
  const auto& w = c.world();
  if (w.blocked_reason.empty()) return false;
  RolloutStatus kept = c.in.status;
  kept.observed_generation = c.st().observed_generation;
  c.out = Plan{};
  c.out.status = std::move(kept);
  c.annotations_to_remove.clear();  // user intent waits until it can be acted on
  c.annotations_ignored.clear();
  c.waited_for_pods = c.in.status.waiting_since.has_value();  // the deadline clock is kept
  c.deadline_exceeded.clear();
  if (c.in.status.phase != Phase::kDegraded || c.in.status.message != w.blocked_message) {
    c.transition(Phase::kDegraded, w.blocked_reason, w.blocked_message);
  } else {
    c.st().phase = Phase::kDegraded;
    c.st().message = w.blocked_message;
  }
  c.requeueIn(kDegradedPoll);
  return true;
}

}  // namespace mr::rollout::detail
