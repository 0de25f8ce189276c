#include "traffic/replica_ratio_router.h"

#include "common/json_read.h"

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
  // The weight follows the canary's ready pods, whose count the planner owns: report it.
  return readWeight();
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
