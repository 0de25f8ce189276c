// Cache projection: what the ModelRollout controller keeps of each object in its informer
// caches (ControllerOptions::transform). Owned Deployments and Services are cut down to the
// fields the reconciler, the planner and the owner mapping read; ModelRollouts are kept whole
// (the status write PUTs the cached object back). Deployments lose their pod template spec:
// ActionApplier reads the live object with a GET in the rare pass that changes the template.
// Contract: every field read by observeDeployment, deploymentPatch/servicePatch (except the
// template diff) and ControllerRuntime's owner mapping survives the projection (tested).
// Thread-safety: pure function.
#pragma once

#include <nlohmann/json.hpp>

#include "k8s/api_client.h"

namespace mr::reconcile {

nlohmann::json projectForCache(const k8s::ResourceType& type, nlohmann::json object);

}  // namespace mr::reconcile
