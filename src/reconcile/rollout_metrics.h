// Controller metrics about rollouts.
// Fleet-wide (prometheus-cpp, bounded labels): modelrollout_rollouts{phase} is a gauge kept
// from the per-rollout phases; modelrollout_rollbacks_total{reason},
// modelrollout_transitions_total{phase} and modelrollout_api_writes_total{kind} are counters.
// Per rollout (written as text at scrape time, TextMetricsSource; docs/troubleshooting.md):
//   modelrollout_rollout_info{namespace,name,phase}            1, current phase only
//   modelrollout_rollout_canary_weight{namespace,name}         status.canaryWeight
//   while a canary runs (status.canaryRevision set):
//   modelrollout_rollout_analysis_consecutive_errors{namespace,name}
//   and, for its latest check (status.lastAnalysis of that revision), per metric:
//   modelrollout_analysis_metric_value{namespace,name,metric}  (only when the metric has one)
//   modelrollout_analysis_metric_verdict{namespace,name,metric,verdict}  1, current verdict only
// Cardinality: a rollout contributes 2 series, plus 1 + 2 per analysis metric while its canary
// runs; forget() (the rollout was deleted) drops them all. Memory: one small record per rollout
// (phase, weight, counters, the metric names, values and verdicts), no per-series objects.
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/text_metrics.h"
#include "rollout/modelrollout_types.h"

namespace mr::reconcile {

class RolloutMetrics final : public TextMetricsSource {
 public:
  explicit RolloutMetrics(prometheus::Registry& registry);

  // Publishes what `status` says about the rollout ns/name (a status without a phase yet
  // publishes nothing for it).
  void observe(const std::string& ns, const std::string& name,
               const rollout::RolloutStatus& status);
  // The rollout is gone: its series disappear and it leaves the phase counts.
  void forget(const std::string& ns, const std::string& name);
  void rollback(const std::string& reason);
  void transition(const std::string& to_phase);
  void write(const std::string& kind);  // "status" | "object" | "route" | "annotation"

  // The per-rollout families (TextMetricsSource).
  void appendTo(std::string& out) const override;
  size_t rolloutsTracked() const;

 private:
  struct MetricPoint {
    std::string metric;
    double value;     // NaN when the check had no value
    uint8_t verdict;  // index into the verdict names
  };
  struct Series {
    rollout::Phase phase;
    int canary_weight = 0;
    bool canary = false;  // a canary runs: analysis series are published
    int consecutive_errors = 0;
    std::vector<MetricPoint> metrics;
  };
  void setPhaseLocked(const std::string& key, const std::optional<rollout::Phase>& phase);

  prometheus::Family<prometheus::Gauge>& phases_;
  prometheus::Family<prometheus::Counter>& rollbacks_;
  prometheus::Family<prometheus::Counter>& transitions_;
  prometheus::Family<prometheus::Counter>& writes_;
  mutable std::mutex mu_;
  std::map<std::string, Series> series_;  // "namespace/name" -> series; guarded by mu_
};

}  // namespace mr::reconcile
