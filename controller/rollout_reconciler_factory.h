// The production Reconciler: the ModelRollout reconciler (src/reconcile) with its analyzer
// (PrometheusAnalyzer on a small pool, so queries never run on reconcile workers) and its
// rollout metrics, all registered on the controller's metrics registry. The Prometheus rules
// (allow-list, body and timeout caps) come from the flags and go to both the reconciler
// (InvalidSpec, Secret checks) and the analyzer (the last check before a socket).
// Thread-safety: the returned Reconciler follows k8s::Reconciler's contract.
#pragma once

#include <memory>

#include "controller/controller_app.h"

namespace mr::controller {

// REQUIRES: `ctx` outlives the returned reconciler (ControllerApp::run guarantees it).
std::unique_ptr<k8s::Reconciler> makeModelRolloutReconciler(ControllerContext& ctx);

}  // namespace mr::controller
