#include "reconcile/event_priority.h"

#include "k8s/controller_runtime.h"
#include "rollout/modelrollout_types.h"

namespace mr::reconcile {

namespace {
nlohmann::json abortAnnotation(const nlohmann::json& object) {
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return nullptr;
  const auto annotations = meta->find("annotations");
  if (annotations == meta->end() || !annotations->is_object()) return nullptr;
  const auto it = annotations->find(rollout::kAnnotationAbort);
  return it == annotations->end() ? nlohmann::json() : *it;
}
}  // namespace

k8s::QueuePriority rolloutEventPriority(const nlohmann::json* old_object,
                                        const nlohmann::json& new_object) {
  const nlohmann::json abort = abortAnnotation(new_object);
  if (!abort.is_null() && (old_object == nullptr || abortAnnotation(*old_object) != abort)) {
    return k8s::QueuePriority::kHigh;
  }
  return k8s::defaultPrimaryPriority(old_object, new_object);
}

}  // namespace mr::reconcile
