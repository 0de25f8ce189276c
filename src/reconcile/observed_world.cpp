#include "reconcile/observed_world.h"

#include <cstdint>

#include "reconcile/not_ready_reason.h"

namespace mr::reconcile {
namespace {

int intAt(const nlohmann::json& object, const nlohmann::json::json_pointer& ptr) {
  if (!object.contains(ptr)) return 0;
  const auto& v = object.at(ptr);
  if (!v.is_number_integer()) return 0;  // a float 1e300 cast to int is undefined behaviour
  const auto wide = v.get<std::int64_t>();
  return wide < INT32_MIN || wide > INT32_MAX ? 0 : static_cast<int>(wide);
}

std::int64_t int64At(const nlohmann::json& object, const nlohmann::json::json_pointer& ptr) {
  if (!object.contains(ptr)) return 0;
  const auto& v = object.at(ptr);
  return v.is_number_integer() ? v.get<std::int64_t>() : 0;
}

}  // namespace

rollout::ObservedDeployment observeDeployment(const nlohmann::json* deployment) {
  rollout::ObservedDeployment out;
  if (deployment == nullptr) return out;
  using P = nlohmann::json::json_pointer;
  const auto& d = *deployment;
  out.exists = true;
  const P revision_ptr("/spec/template/metadata/labels/modelrollout.io~1revision");
  if (d.contains(revision_ptr) && d.at(revision_ptr).is_string()) {
    out.revision = d.at(revision_ptr).get<std::string>();
  }
  // spec.replicas defaults to 1 in Kubernetes.
  out.replicas = d.contains(P("/spec/replicas")) ? intAt(d, P("/spec/replicas")) : 1;
  out.generation = int64At(d, P("/metadata/generation"));
  out.observed_generation = int64At(d, P("/status/observedGeneration"));
  // Pods of every ReplicaSet: what tells an old ReplicaSet's available pods from the new
  // revision's own (rollout::ownAvailableReplicas).
  out.total_replicas = intAt(d, P("/status/replicas"));
  out.ready_replicas = intAt(d, P("/status/readyReplicas"));
  out.available_replicas = intAt(d, P("/status/availableReplicas"));
  out.updated_replicas = intAt(d, P("/status/updatedReplicas"));
  out.not_ready_reason = deploymentNotReadyReason(d);
  return out;
}

}  // namespace mr::reconcile
