// The `tree` view: a ModelRollout and what runs for it, from the objects' ownerReferences
// (Deployment -> ModelRollout by uid, ReplicaSet -> Deployment, Pod -> ReplicaSet), with
// readiness at every level:
//
//   NAME                              KIND           STATUS        READY   AGE   INFO
//   fraud                             ModelRollout   Progressing   -       5d    step 2/4, weight 10%
//   |-- fraud-canary                  Deployment     Available     1/1     2h    canary, revision 7b8e21aa0
//   |   `-- fraud-canary-7b8e         ReplicaSet     Available     1/1     2h
//   |       `-- fraud-canary-7b8e-a   Pod            Running       1/1     2m    restarts 0
//
// When ReplicaSets cannot be listed (`replicasets` null), Pods hang directly under the
// Deployment whose spec.selector.matchLabels they carry.
// Thread-safety: pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"

namespace mr::plugin {

// deployments/replicasets/pods: List objects (items[]) of the rollout's namespace.
std::string renderTree(const nlohmann::json& rollout, const nlohmann::json& deployments,
                       const nlohmann::json& replicasets, const nlohmann::json& pods,
                       SystemTime now);

}  // namespace mr::plugin
