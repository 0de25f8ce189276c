// Controller metrics about rollouts (prometheus-cpp), with bounded label cardinality: no
// per-object labels. modelrollout_rollouts{phase} is a gauge kept from per-key phases;
// modelrollout_rollbacks_total{reason}, modelrollout_transitions_total{phase} and
// modelrollout_api_writes_total{kind} are counters.
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <string>

namespace mr::reconcile {

class RolloutMetrics {
 public:
  explicit RolloutMetrics(prometheus::Registry& registry);

  // Records the phase a rollout is in now ("" = gone).
  void setPhase(const std::string& key, const std::string& phase);
  void rollback(const std::string& reason);
  void transition(const std::string& to_phase);
  void write(const std::string& kind);  // "status" | "object" | "route" | "annotation"

 private:
  prometheus::Family<prometheus::Gauge>& phases_;
  prometheus::Family<prometheus::Counter>& rollbacks_;
  prometheus::Family<prometheus::Counter>& transitions_;
  prometheus::Family<prometheus::Counter>& writes_;
  std::mutex mu_;
  std::map<std::string, std::string> phase_by_key_;  // guarded by mu_
};

}  // namespace mr::reconcile
