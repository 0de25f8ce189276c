#include "reconcile/rollout_metrics.h"

namespace mr::reconcile {

RolloutMetrics::RolloutMetrics(prometheus::Registry& registry)
    : phases_(prometheus::BuildGauge()
                  .Name("modelrollout_rollouts")
                  .Help("ModelRollouts by status.phase")
                  .Register(registry)),
      rollbacks_(prometheus::BuildCounter()
                     .Name("modelrollout_rollbacks_total")
                     .Help("Rollbacks by reason")
                     .Register(registry)),
      transitions_(prometheus::BuildCounter()
                       .Name("modelrollout_transitions_total")
                       .Help("Phase transitions by the phase entered")
                       .Register(registry)),
      writes_(prometheus::BuildCounter()
                  .Name("modelrollout_api_writes_total")
                  .Help("Writes the reconciler sent, by kind")
                  .Register(registry)) {
  for (const char* phase :
       {"Healthy", "Progressing", "Paused", "Promoting", "RolledBack", "Degraded"}) {
    phases_.Add({{"phase", phase}}).Set(0);
  }
}

void RolloutMetrics::setPhase(const std::string& key, const std::string& phase) {
  std::lock_guard lock(mu_);
  auto it = phase_by_key_.find(key);
  const std::string old = it == phase_by_key_.end() ? "" : it->second;
  if (old == phase) return;
  if (!old.empty()) phases_.Add({{"phase", old}}).Decrement();
  if (phase.empty()) {
    phase_by_key_.erase(key);
  } else {
    phases_.Add({{"phase", phase}}).Increment();
    phase_by_key_[key] = phase;
  }
}

void RolloutMetrics::rollback(const std::string& reason) {
  rollbacks_.Add({{"reason", reason}}).Increment();
}

void RolloutMetrics::transition(const std::string& to_phase) {
  transitions_.Add({{"phase", to_phase}}).Increment();
}

void RolloutMetrics::write(const std::string& kind) {
  writes_.Add({{"kind", kind}}).Increment();
}

}  // namespace mr::reconcile
