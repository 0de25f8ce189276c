// The promotion (docs/lifecycle.md): entering it from a canary (startPromotion) and the
// Promoting state (planPromoting), where the stable Deployment takes the canary's template and
// the canary keeps its traffic until stable is available at it.
#include <algorithm>

#include "rollout/planner_internal.h"

namespace mr::rollout::detail {

void startPromotion(PlanContext& c, const std::string& reason, const std::string& message) {
  auto& s = c.st();
  // What someone else changed since the last pass (a route raised above the step entered,
  // replica ratio: canary pods scaled up) does not stay for the promotion (safety simulation).
  // The weight the canary was given: its step's once the step started, else the fallback.
  const int entered = s.step_started_at ? s.step_weight : std::min(s.step_weight, s.canary_weight);
  const int entered_replicas = canaryReplicasFor(c.spec.replicas, entered);
  const auto& read = c.world().route_weight;
  if (c.routed() && read) {
    const int keep = c.canaryAvailableAt(s.canary_revision, entered_replicas) ? entered : 0;
    if (*read > keep) {
      c.ensureWeight(keep);
    } else {
      // The promotion keeps what the route carries after this pass, never more: a stored
      // weight from before the route was lost and recreated lower, or from before an edit of
      // spec.steps re-entered a lower step, would be put back above the step (safety
      // simulation, seed 21003604).
      int left = *read;
      for (const auto* actions : {&c.out.actions, &c.out.after_status}) {
        for (const auto& a : *actions) {
          if (const auto* w = std::get_if<SetWeight>(&a)) left = w->percent;
        }
      }
      s.canary_weight = std::min(left, keep);
    }
  } else if (c.routed()) {
    s.canary_weight = std::min(s.canary_weight, entered);
  }
  // Replica ratio: canaryWeight is the pods' share (above the step's weight with few replicas),
  // so before the status write no more pods than the stored step allows with spec.replicas now
  // (safety simulation, seed 459404 of the --seed 1 run: someone scaled the canary up,
  // spec.replicas and spec.steps were edited, promote=full scaled it to 4 pods under a stored 10%
  // step).
  const int stored_replicas =
      c.in.status.canary_revision == s.canary_revision
          ? std::min(entered_replicas, canaryReplicasFor(c.spec.replicas, c.in.status.step_weight))
          : entered_replicas;
  if (!c.routed() && c.world().canary.exists && c.world().canary.replicas > stored_replicas) {
    c.act(ScaleCanary{stored_replicas});
  }
  s.current_step = c.stepCount();
  recordStepBasis(c, c.stepCount());
  s.step_started_at.reset();
  s.paused_at.reset();
  s.analysis_paused = false;
  s.hold_extended_at.reset();
  c.transition(Phase::kPromoting, reason, message);
  // The stable Deployment gets the new template only after the status saying Promoting is
  // stored (after_status; planPromoting repeats it): a crash before that write must not leave
  // stable changed under a canary.
  // Callers are in a canary whose revision is spec.template, so the template is at hand.
  c.actAfterStatus(EnsureStable{c.spec.pod_template, c.spec.replicas, c.hash});
  c.actAfterStatus(EnsureServices{"", s.canary_revision});
  c.requeueIn(kAvailabilityPoll);
}

void planPromoting(PlanContext& c) {
  auto& s = c.st();
  if (c.hash == s.stable_revision) {
    // The old template is back in spec, so the stable Deployment can be restored. The canary
    // keeps its pods and its traffic until stable is available at the old revision again:
    // stable may have few old pods left (a capacity cliff otherwise).
    const std::string what = "spec.template reverted to stable revision " + s.stable_revision +
                             " during promotion of " + s.canary_revision;
    c.act(EnsureStable{c.spec.pod_template, c.spec.replicas, c.hash});
    if (!c.stableAvailableAt(c.hash)) {
      if (c.world().stable.revision != c.hash) {
        c.event("Warning", "TemplateReverting",
                what + ": restoring stable before traffic leaves the canary");
      }
      c.ensureServices("", s.canary_revision);
      c.ensureWeight(promotionWeight(c));
      const auto& stable = c.world().stable;
      const int back = stable.revision == c.hash ? ownAvailableReplicas(stable) : 0;
      s.message = what + ": restoring stable, " + std::to_string(back) + "/" +
                  std::to_string(c.spec.replicas) + " available at " + c.hash +
                  "; the canary keeps its traffic until then";
      c.requeueIn(kAvailabilityPoll);
      return;
    }
    rollback(c, "TemplateReverted", what);
    return;
  }
  const bool newest = c.hash == s.canary_revision;
  if (!newest && c.world().stable.revision != s.canary_revision) {
    // A newer template arrived before stable took the canary's: that template is gone.
    startCanary(c, "CanaryRestarted",
                "newer revision " + c.hash + " replaces " + s.canary_revision +
                    " before its promotion began; restarting at step " + stepLabel(c, 0));
    return;
  }
  if (newest) c.act(EnsureStable{c.spec.pod_template, c.spec.replicas, c.hash});
  c.ensureServices("", s.canary_revision);
  const auto& stable = c.world().stable;
  if (!c.stableAvailableAt(s.canary_revision)) {
    c.ensureWeight(promotionWeight(c));
    s.message = "promoting " + s.canary_revision + ": stable " +
                std::to_string(stable.updated_replicas) + "/" + std::to_string(c.spec.replicas) +
                " updated, " + std::to_string(ownAvailableReplicas(stable)) + "/" +
                std::to_string(c.spec.replicas) + " available";
    c.requeueIn(kAvailabilityPoll);
    stableDeadline(c);
    return;
  }
  c.ensureWeight(0);
  if (c.world().canary.exists) c.act(ScaleCanary{0});
  const std::string promoted = s.canary_revision;
  s.stable_revision = promoted;
  s.canary_revision.clear();
  s.step_started_at.reset();
  clearStepBasis(s);
  resetCounters(s);
  c.transition(Phase::kHealthy, "Promoted",
               "revision " + promoted + " promoted: stable runs it with " +
                   std::to_string(stable.available_replicas) + "/" +
                   std::to_string(c.spec.replicas) + " available; canary scaled to 0");
  if (!newest) c.requeueIn(kNextPassDelay);  // the newer template starts next pass
}

}  // namespace mr::rollout::detail
