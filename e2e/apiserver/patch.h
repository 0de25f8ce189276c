// Patch application: JSON merge patch (RFC 7396), JSON patch (RFC 6902) and a faithful subset
// of Kubernetes strategic merge patch for the built-in kinds kubectl sends it for: lists of
// containers/initContainers/env/volumes/volumeMounts/ports/imagePullSecrets/conditions merged by
// their merge key, `$patch: delete|replace`, `$setElementOrder/<list>`, `$retainKeys` and
// `$deleteFromPrimitiveList/<list>` directives. Unknown lists are replaced, as atomic lists are.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace mr::apiserver {

// Errors are kInvalidArgument Statuses carrying the HTTP code to answer with: 400 BadRequest for
// a malformed patch, 422 Invalid for a JSON patch operation that cannot apply.
Result<nlohmann::json> applyMergePatch(const nlohmann::json& target, const nlohmann::json& patch);
Result<nlohmann::json> applyJsonPatch(const nlohmann::json& target, const nlohmann::json& patch);
Result<nlohmann::json> applyStrategicMergePatch(const nlohmann::json& target,
                                                const nlohmann::json& patch);

}  // namespace mr::apiserver
