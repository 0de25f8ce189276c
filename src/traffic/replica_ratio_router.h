// ReplicaRatioRouter: traffic split without a mesh. The root Service `<rollout>` selects the
// pods of both roles, so traffic follows the ratio of ready pods. setWeight(w) scales the canary
// Deployment `<rollout>-canary` to replicaRatioCanaryReplicas(replicas, w) (merge patch of
// spec.replicas); the stable Deployment keeps its replicas. readWeight() reports the effective
// weight canaryReady / (canaryReady + stableReady) from the Deployments' status, which is what
// clients actually get, not what was asked for.
// Thread-safety: see TrafficRouter.
#pragma once

#include "traffic/traffic_router.h"

namespace mr::traffic {

// ceil(replicas * weight / 100); any weight > 0 gives at least one pod, weight 0 gives none.
// REQUIRES: replicas >= 0, 0 <= weight <= 100.
int replicaRatioCanaryReplicas(int replicas, int weight);

class ReplicaRatioRouter final : public TrafficRouter {
 public:
  // REQUIRES: `api` outlives this router.
  ReplicaRatioRouter(k8s::ApiClient& api, RouterTarget target);

  Result<std::optional<int>> setWeight(int canary_percent) override;
  Result<std::optional<int>> readWeight() override;
  // There is no user-owned routing object: the Deployments and the root Service are the
  // controller's own and are recreated by it, so there is nothing that can be misconfigured.
  Status verify() override;
  std::string describe() const override;

 private:
  k8s::ApiClient& api_;
  RouterTarget target_;
};

}  // namespace mr::traffic
