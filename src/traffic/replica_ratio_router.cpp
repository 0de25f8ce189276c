#include "traffic/replica_ratio_router.h"

#include "common/json_read.h"
#include "traffic/object_update.h"

namespace mr::traffic {
namespace {

using k8s::Json;

long long readyOf(const Json& deployment) {
  const Json& status = jsonObject(deployment, "status");
  const auto ready = status.find("readyReplicas");
  return ready != status.end() && ready->is_number_integer() ? ready->get<long long>() : 0LL;
}

// Ready pods of a Deployment; a missing Deployment has none.
Result<long long> readyReplicas(k8s::ApiClient& api, const std::string& ns,
                                const std::string& name) {
  auto deployment = api.get(k8s::resources::deployments(), ns, name);
  if (!deployment.isOk()) {
    if (deployment.status().code() == StatusCode::kNotFound) return 0LL;
    return deployment.status().withContext("reading Deployment " + ns + "/" + name);
  }
  return readyOf(*deployment);
}

}  // namespace

int replicaRatioCanaryReplicas(int replicas, int weight) {
  if (replicas <= 0 || weight <= 0) return 0;
  const long long product = static_cast<long long>(replicas) * weight;
  return static_cast<int>((product + 99) / 100);
}

ReplicaRatioRouter::ReplicaRatioRouter(k8s::ApiClient& api, RouterTarget target)
    : api_(api), target_(std::move(target)) {}

std::string ReplicaRatioRouter::describe() const {
  return "replica ratio of Deployments " + target_.ns + "/" + target_.rollout + "-stable and " +
         target_.rollout + "-canary";
}

Result<std::optional<int>> ReplicaRatioRouter::setWeight(int canary_percent) {
  if (canary_percent < 0 || canary_percent > 100) {
    return invalidArgument("canary weight " + std::to_string(canary_percent) +
                           " is outside 0..100");
  }
  const std::string name = target_.rollout + "-canary";
  auto deployment = getObject(api_, k8s::resources::deployments(), target_.ns, name);
  long long canary_ready = 0;
  if (!deployment.isOk()) {
    // No canary Deployment already means no canary traffic: 0% needs nothing.
    if (deployment.status().code() != StatusCode::kNotFound || canary_percent != 0) {
      return deployment.status();
    }
  } else {
    const int want = replicaRatioCanaryReplicas(target_.replicas, canary_percent);
    const Json& spec = jsonObject(*deployment, "spec");
    canary_ready = readyOf(*deployment);
    if (!spec.contains("replicas") || spec["replicas"] != want) {
      // spec.replicas is a scalar, so a merge patch cannot clobber anyone else's edit.
      const Json patch = {{"spec", {{"replicas", want}}}};
      auto patched = api_.patch(k8s::resources::deployments(), target_.ns, name,
                                k8s::PatchType::kMerge, patch);
      if (!patched.isOk()) {
        return patched.status().withContext("scaling Deployment " + target_.ns + "/" + name);
      }
      canary_ready = readyOf(*patched);  // the stored object: no read-back GET
    }
  }
  // The effective weight also depends on stable's ready pods, which only a read can tell.
  auto stable = readyReplicas(api_, target_.ns, target_.rollout + "-stable");
  if (!stable.isOk()) return stable.status();
  return weightPercent(*stable, canary_ready);
}

Result<std::optional<int>> ReplicaRatioRouter::readWeight() {
  auto stable = readyReplicas(api_, target_.ns, target_.rollout + "-stable");
  if (!stable.isOk()) return stable.status();
  auto canary = readyReplicas(api_, target_.ns, target_.rollout + "-canary");
  if (!canary.isOk()) return canary.status();
  return weightPercent(*stable, *canary);
}

Status ReplicaRatioRouter::verify() {
  return Status::ok();
}

}  // namespace mr::traffic
