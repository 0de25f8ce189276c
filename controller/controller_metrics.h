// ControllerMetrics: the controller's Prometheus metrics (prometheus-cpp registry, rendered
// with TextSerializer for /metrics). Labels are bounded: reconcile results, HTTP verbs and
// codes; never object names.
//   modelrollout_reconcile_total{result}            counter (success|error|requeue_after)
//   modelrollout_reconcile_duration_seconds         histogram
//   modelrollout_workqueue_depth                    gauge
//   modelrollout_api_requests_total{verb,code}      counter (code "0" = no response)
//   modelrollout_leader                             gauge (1 while leading)
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <string>

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
  // Shared so other parts (rollout, analysis) can register their own families.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* reconciles_;
  prometheus::Histogram* reconcile_seconds_;
  prometheus::Gauge* queue_depth_;
  prometheus::Family<prometheus::Counter>* api_requests_;
  prometheus::Gauge* leader_;
};

}  // namespace mr::controller
