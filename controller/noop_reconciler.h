// NoopReconciler: placeholder until the ModelRollout logic lands. It reads the key from the
// informer cache (so the wiring is exercised end to end) and logs what it would act on.
// Thread-safety: reconcile() may run on several workers at once (different keys).
#pragma once

#include "k8s/controller_runtime.h"

namespace mr::controller {

class NoopReconciler final : public k8s::Reconciler {
 public:
  explicit NoopReconciler(k8s::ControllerRuntime& runtime) : runtime_(runtime) {}
  k8s::ReconcileResult reconcile(const k8s::ObjectKey& key) override;

 private:
  k8s::ControllerRuntime& runtime_;
};

}  // namespace mr::controller
