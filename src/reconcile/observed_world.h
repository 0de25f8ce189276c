// Observing the world for the planner: turns cached Deployments/Services (informer objects)
// and the router's read-back into rollout::ObservedWorld. Pure functions over JSON.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "rollout/planner.h"

namespace mr::reconcile {

// A Deployment from the cache; nullptr = it does not exist.
rollout::ObservedDeployment observeDeployment(const nlohmann::json* deployment);

}  // namespace mr::reconcile
