// The checks apiextensions-apiserver's customResourceValidator runs on a custom resource whose
// CRD has a scale subresource (ValidateScaleSpec, ValidateScaleStatus): the values at
// specReplicasPath and statusReplicasPath must be absent or int64 within [0, MaxInt32], and the
// value at labelSelectorPath absent or a string. Messages are Go's, e.g.
// `.spec.replicas: Invalid value: 0: .spec.replicas accessor error: four is of the type string,
// expected int64` (Go's %v of maps and lists is approximated).
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "resource_registry.h"
#include "schema_validator.h"

namespace mr::apiserver {

// Nothing when `version` has no scale subresource.
std::vector<FieldError> validateScalePaths(const nlohmann::json& object,
                                           const ServedVersion& version);

}  // namespace mr::apiserver
