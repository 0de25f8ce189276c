#include "controller/noop_reconciler.h"

#include <spdlog/spdlog.h>

namespace mr::controller {

k8s::ReconcileResult NoopReconciler::reconcile(const k8s::ObjectKey& key) {
  const k8s::ObjectPtr rollout = runtime_.primaryInformer().get(key.ns, key.name);
  if (!rollout) {
    spdlog::info("reconcile {}: not found (deleted)", key.toString());
    return k8s::ReconcileResult::done();
  }
  const k8s::Json& meta = (*rollout)["metadata"];
  spdlog::info("reconcile {}: generation {} (no-op)", key.toString(), meta.value("generation", 0));
  return k8s::ReconcileResult::done();
}

}  // namespace mr::controller
