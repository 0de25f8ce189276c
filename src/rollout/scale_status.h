// The status fields behind the scale subresource and the replica/step printer columns:
// status.replicas, readyReplicas, availableReplicas (pods of both managed Deployments, every
// ReplicaSet included, as Argo Rollouts counts them), status.selector (the label selector of
// those pods in its string form, what the scale subresource's labelSelectorPath publishes for
// an HPA), and the display strings readyDisplay ("ready/desired") and currentStepDisplay
// ("2/4", 1-based, "-" when no canary runs: what the kubectl plugin shows).
// They describe the observed world, not a decision: the reconciler sets them on the planned
// status after plan(), from the same observed world the planner saw.
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "rollout/planner.h"

namespace mr::rollout {

struct ScaleInputs {
  Json spec_selector;        // spec.selector as written (a LabelSelector), may be null
  std::string rollout_name;  // the pods also carry modelrollout.io/rollout=<name>
  int desired_replicas = 1;  // spec.replicas
  std::optional<int> steps;  // len(spec.steps); nullopt when the spec did not parse
};

// Sets replicas, readyReplicas, availableReplicas, selector, readyDisplay and
// currentStepDisplay on `status` (whose currentStep/canaryRevision are already final).
// Without `steps` the stored currentStepDisplay is kept.
void setScaleStatus(RolloutStatus& status, const ScaleInputs& in, const ObservedWorld& world);

// A LabelSelector in the string form of Kubernetes' labels.Selector.String(): requirements
// sorted by key, "k=v", "k in (a,b)", "k notin (a,b)", "k", "!k", joined by ",".
// `extra_match_labels` are added as matchLabels (the rollout label).
std::string labelSelectorString(const Json& selector,
                                const std::map<std::string, std::string>& extra_match_labels);

}  // namespace mr::rollout
