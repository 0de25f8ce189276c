// Pure edits of a ModelRollout's spec.template for `set image` and `undo`.
//
// setImages: sets each CONTAINER=IMAGE on spec.template.spec.containers and initContainers by
// name ("*" = every container and init container), as `kubectl set image` does. NotFound names
// a container the template does not have (and lists those it has).
//
// stableTemplate: the pod template of the stable revision, rebuilt from the stable Deployment
// the controller keeps at it (<name>-stable, owned by the rollout, template labelled
// modelrollout.io/revision=<status.stableRevision>): the Deployment's template without the
// controller's labels (modelrollout.io/rollout, role, revision). Its revision must hash to
// status.stableRevision (rollout::podTemplateHash), else the controller would take it for a
// new revision and start a canary; when the API server added defaults to the Deployment's
// template, fields still at their Kubernetes default that the current spec.template does not
// spell out are dropped and the hash checked again. InvalidArgument when the stable
// Deployment is not at the stable revision (promotion under way), is not owned by the rollout,
// or no template with that hash can be rebuilt.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mr::plugin {

// Returns the rollout with the images set, and whether anything changed.
Result<std::pair<nlohmann::json, bool>> setImages(
    nlohmann::json rollout, const std::vector<std::pair<std::string, std::string>>& images);

Result<nlohmann::json> stableTemplate(const nlohmann::json& rollout,
                                      const nlohmann::json& stable_deployment);

}  // namespace mr::plugin
