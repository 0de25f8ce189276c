// ControllerMetrics: the controller's Prometheus metrics (prometheus-cpp registry, rendered
// with TextSerializer for /metrics), followed by the families of the text sources added
// (per-rollout series, reconcile/rollout_metrics.h) and the process_* metrics
// (process_metrics.h). Labels of the registry's families are bounded: reconcile results, HTTP
// verbs and codes; never object names.
//   modelrollout_reconcile_total{result}            counter (success|error|requeue_after)
//   modelrollout_reconcile_duration_seconds         histogram
//   modelrollout_workqueue_depth                    gauge
//   modelrollout_api_requests_total{verb,code}      counter (code "0" = no response)
//   modelrollout_leader                             gauge (1 while this replica reconciles:
//                                                   leading, or always without leader election)
//   modelrollout_build_info{version,revision,compiler}  gauge, 1 (build_info.h)
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/text_metrics.h"
#include "controller/process_metrics.h"

namespace mr::controller {

class ControllerMetrics {
 public:
  ControllerMetrics();

  void observeReconcile(const std::string& result, double seconds);
  void observeApiRequest(const std::string& verb, int code);
  void setQueueDepth(double depth) { queue_depth_->Set(depth); }
  void setLeader(bool leader) { leader_->Set(leader ? 1 : 0); }

  // The Prometheus text exposition of every metric.
  std::string render() const;
  // Appends `source`'s families to every render() until removed.
  // REQUIRES: `source` stays valid until removeTextSource(source).
  void addTextSource(const TextMetricsSource* source);
  void removeTextSource(const TextMetricsSource* source);
  // Shared so other parts (rollout, analysis) can register their own families.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* reconciles_;
  prometheus::Histogram* reconcile_seconds_;
  prometheus::Gauge* queue_depth_;
  prometheus::Family<prometheus::Counter>* api_requests_;
  prometheus::Gauge* leader_;
  ProcessMetrics process_;
  mutable std::mutex sources_mu_;
  std::vector<const TextMetricsSource*> sources_;  // guarded by sources_mu_
};

}  // namespace mr::controller
