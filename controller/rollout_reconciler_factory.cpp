#include "controller/rollout_reconciler_factory.h"

#include "analysis/prometheus_analyzer.h"
#include "common/json_read.h"
#include "common/logging.h"
#include "reconcile/modelrollout_reconciler.h"
#include "reconcile/rollout_metrics.h"

namespace mr::controller {
namespace {

// Owns the analyzer and metrics next to the reconciler. Members are destroyed in reverse
// order: the reconciler goes first, then the analyzer answers or drops what is still queued
// (its callbacks only touch the tracker and the runtime's queue, both still alive).
// Every line logged during a reconcile carries the namespace, name and a reconcileID as fields
// (common/logging.h).
class ModelRolloutController final : public k8s::Reconciler {
 public:
  explicit ModelRolloutController(ControllerContext& ctx)
      : controller_metrics_(ctx.metrics),
        log_(namedLogger("reconciler")),
        metrics_(*ctx.metrics.registry()),
        analyzer_(analyzerOptions(ctx)),
        reconciler_(deps(ctx)) {
    controller_metrics_.addTextSource(&metrics_);  // the per-rollout series
  }

  ~ModelRolloutController() override {
    controller_metrics_.removeTextSource(&metrics_);
    analyzer_.shutdown();
  }

  k8s::ReconcileResult reconcile(const k8s::ObjectKey& key) override {
    LogFields fields(
        {{"namespace", key.ns}, {"name", key.name}, {"reconcileID", newReconcileId()}});
    k8s::ReconcileResult result = reconciler_.reconcile(key);
    if (!result.error.isOk()) {
      log_->debug("reconcile failed: {}", result.error.toString());
    } else if (result.requeue_after) {
      log_->debug("reconciled; requeue after {}ms", result.requeue_after->count());
    } else {
      log_->debug("reconciled");
    }
    return result;
  }

 private:
  static analysis::PrometheusPolicy policy(const ControllerFlags& flags) {
    analysis::PrometheusPolicy p;
    p.allowed_addresses = flags.allowed_prometheus_addresses;
    p.max_body_bytes = flags.prometheus_max_body_bytes;
    p.max_timeout = flags.prometheus_max_timeout;
    return p;
  }

  static analysis::PrometheusAnalyzerOptions analyzerOptions(ControllerContext& ctx) {
    analysis::PrometheusAnalyzerOptions o;
    // Limits below the pool size: one slow address or one busy namespace leaves workers for
    // the others (docs/security.md).
    o.threads = 6;
    o.per_address_limit = 3;
    o.per_namespace_limit = 3;
    o.policy = policy(ctx.flags);
    o.clock = &ctx.clock;
    o.registry = ctx.metrics.registry().get();
    return o;
  }

  reconcile::ReconcilerDeps deps(ControllerContext& ctx) {
    reconcile::ReconcilerDeps d;
    d.api = &ctx.client;
    d.clock = &ctx.clock;
    d.analyzer = &analyzer_;
    d.prometheus_policy = policy(ctx.flags);
    k8s::ControllerRuntime* runtime = &ctx.runtime;
    d.cache = [runtime](const k8s::ResourceType& type, const std::string& ns,
                        const std::string& name) -> std::shared_ptr<const nlohmann::json> {
      k8s::Informer* informer = runtime->informer(type);
      return informer ? informer->get(ns, name) : nullptr;
    };
    // Routes come from the read caches once they have synced (not at all when the CRD is
    // missing: the reconciler then GETs them).
    d.route_cache =
        [runtime](const k8s::ResourceType& type, const std::string& ns,
                  const std::string& name) -> std::optional<std::shared_ptr<const nlohmann::json>> {
      k8s::Informer* informer = runtime->informer(type);
      if (!informer || !informer->hasSynced()) return std::nullopt;
      return informer->get(ns, name);
    };
    // The reconciler enqueues for analysis results (a failing check rolls back at once, ahead
    // of routine passes) and to retry annotation removal.
    d.enqueue = [runtime](const k8s::ObjectKey& key) {
      runtime->enqueue(key, k8s::QueuePriority::kHigh);
    };
    k8s::EventRecorder* events = &ctx.events;
    d.events = [events](const nlohmann::json& object, const std::string& type,
                        const std::string& reason, const std::string& message) {
      // List items may lack apiVersion/kind; the Event's involvedObject needs both.
      const auto& meta = jsonObject(object, "metadata");
      const nlohmann::json involved = {
          {"apiVersion", k8s::resources::modelRollouts().apiVersion()},
          {"kind", k8s::resources::modelRollouts().kind},
          {"metadata",
           {{"name", jsonString(meta, "name")},
            {"namespace", jsonString(meta, "namespace")},
            {"uid", jsonString(meta, "uid")},
            {"resourceVersion", jsonString(meta, "resourceVersion")}}}};
      events->record(involved,
                     type == "Warning" ? k8s::EventType::kWarning : k8s::EventType::kNormal, reason,
                     message);
    };
    d.metrics = &metrics_;
    return d;
  }

  ControllerMetrics& controller_metrics_;
  std::shared_ptr<spdlog::logger> log_;
  reconcile::RolloutMetrics metrics_;
  analysis::PrometheusAnalyzer analyzer_;
  reconcile::ModelRolloutReconciler reconciler_;
};

}  // namespace

std::unique_ptr<k8s::Reconciler> makeModelRolloutReconciler(ControllerContext& ctx) {
  return std::make_unique<ModelRolloutController>(ctx);
}

}  // namespace mr::controller
