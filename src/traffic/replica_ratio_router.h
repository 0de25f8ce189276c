// ReplicaRatioRouter: traffic split without a mesh. The root Service `<rollout>` selects the
// pods of both roles, so traffic follows the ratio of ready pods. The router writes nothing:
// the canary Deployment's spec.replicas has one owner, the planner (EnsureCanary / ScaleCanary
// with canaryReplicasFor(replicas, step weight), see rollout/planner.h). A second writer here
// scaled the canary to the previous step's weight while the planner scaled it to the next
// step's, ~800 Deployment writes per second (issue 13). setWeight(w) therefore only checks w
// and reports, like readWeight(), the effective weight canaryReady / (canaryReady +
// stableReady) from the Deployments' status: what clients actually get, not what was asked.
// Thread-safety: see TrafficRouter.
#pragma once

#include "traffic/traffic_router.h"

namespace mr::traffic {

// ceil(replicas * weight / 100); any weight > 0 gives at least one pod, weight 0 gives none.
// The same rule as rollout::canaryReplicasFor, which decides the replicas; kept for callers
// that compute what a weight will realise. REQUIRES: replicas >= 0, 0 <= weight <= 100.
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
