#include "controller/controller_metrics.h"

#include <prometheus/text_serializer.h>

namespace mr::controller {

ControllerMetrics::ControllerMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  reconciles_ = &prometheus::BuildCounter()
                     .Name("modelrollout_reconcile_total")
                     .Help("Reconciles by result")
                     .Register(*registry_);
  for (const char* result : {"success", "error", "requeue_after"}) {
    reconciles_->Add({{"result", result}});  // present at 0 before the first reconcile
  }
  reconcile_seconds_ =
      &prometheus::BuildHistogram()
           .Name("modelrollout_reconcile_duration_seconds")
           .Help("Time spent in one reconcile")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                            0.25, 0.5, 1, 2.5, 5, 10});
  queue_depth_ = &prometheus::BuildGauge()
                      .Name("modelrollout_workqueue_depth")
                      .Help("Keys waiting in the work queue")
                      .Register(*registry_)
                      .Add({});
  api_requests_ = &prometheus::BuildCounter()
                       .Name("modelrollout_api_requests_total")
                       .Help("Kubernetes API requests by verb and HTTP code")
                       .Register(*registry_);
  leader_ = &prometheus::BuildGauge()
                 .Name("modelrollout_leader")
                 .Help("1 while this replica holds the leader lease")
                 .Register(*registry_)
                 .Add({});
}

void ControllerMetrics::observeReconcile(const std::string& result, double seconds) {
  reconciles_->Add({{"result", result}}).Increment();
  reconcile_seconds_->Observe(seconds);
}

void ControllerMetrics::observeApiRequest(const std::string& verb, int code) {
  api_requests_->Add({{"verb", verb}, {"code", std::to_string(code)}}).Increment();
}

std::string ControllerMetrics::render() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace mr::controller
