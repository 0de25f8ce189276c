#include "controller/noop_reconciler.h"

#include <spdlog/spdlog.h>

#include "common/json_read.h"

namespace mr::controller {

k8s::ReconcileResult NoopReconciler::reconcile(const k8s::ObjectKey& key) {
  const k8s::ObjectPtr rollout = runtime_.primaryInformer().get(key.ns, key.name);
  if (!rollout) {
    spdlog::info("reconcile {}: not found (deleted)", key.toString());
    return k8s::ReconcileResult::done();
  }
  spdlog::info("reconcile {}: generation {} (no-op)", key.toString(),
               jsonInt(jsonObject(*rollout, "metadata"), "generation"));
  return k8s::ReconcileResult::done();
}

}  // namespace mr::controller
