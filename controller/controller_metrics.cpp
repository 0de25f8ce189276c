#include "controller/controller_metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>

#include "controller/build_info.h"

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
  const BuildInfo& build = buildInfo();
  prometheus::BuildGauge()
      .Name("modelrollout_build_info")
      .Help("Always 1; the labels say which build of the controller runs")
      .Register(*registry_)
      .Add({{"version", std::string(build.version)},
            {"revision", std::string(build.revision)},
            {"compiler", std::string(build.compiler)}})
      .Set(1);
}

void ControllerMetrics::observeReconcile(const std::string& result, double seconds) {
  reconciles_->Add({{"result", result}}).Increment();
  reconcile_seconds_->Observe(seconds);
}

void ControllerMetrics::observeApiRequest(const std::string& verb, int code) {
  api_requests_->Add({{"verb", verb}, {"code", std::to_string(code)}}).Increment();
}

std::string ControllerMetrics::render() const {
  std::string out = prometheus::TextSerializer().Serialize(registry_->Collect());
  {
    std::lock_guard lock(sources_mu_);
    for (const TextMetricsSource* source : sources_)
      source->appendTo(out);
  }
  process_.appendTo(out);
  return out;
}

void ControllerMetrics::addTextSource(const TextMetricsSource* source) {
  std::lock_guard lock(sources_mu_);
  sources_.push_back(source);
}

void ControllerMetrics::removeTextSource(const TextMetricsSource* source) {
  std::lock_guard lock(sources_mu_);
  sources_.erase(std::remove(sources_.begin(), sources_.end(), source), sources_.end());
}

}  // namespace mr::controller
