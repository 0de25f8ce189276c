// The per-object rules kube-apiserver applies on create and update, independent of HTTP:
// server-owned metadata (uid, creationTimestamp, generation), the status-subresource split,
// defaulting of the built-in kinds, CRD status, and validation of custom resources against
// their structural schema (with fieldValidation Strict/Warn/Ignore for unknown fields).
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api_errors.h"
#include "common/clock.h"
#include "resource_registry.h"

namespace mr::apiserver {

enum class FieldValidation { kIgnore, kWarn, kStrict };
FieldValidation parseFieldValidation(const std::string& v);  // default Warn

struct RuleContext {
  const ResourceType& type;
  std::string version;  // the version the request addressed
  SystemTime now;
  FieldValidation field_validation = FieldValidation::kWarn;
  std::vector<std::string>* warnings = nullptr;  // "unknown field ..." for Warn
};

// REQUIRES: obj is a JSON object whose metadata.name/namespace are final.
std::optional<ApiError> prepareCreate(const RuleContext& ctx, nlohmann::json& obj);

// `obj` is the full desired object (from PUT or a patch result). With `status_only`, only its
// status is taken. On return `obj` is what to store. `changed` is false when the result equals
// `old` (a no-op update keeps its resourceVersion).
std::optional<ApiError> prepareUpdate(const RuleContext& ctx, const nlohmann::json& old,
                                      nlohmann::json& obj, bool status_only, bool& changed);

// metadata.name validity (DNS subdomain; RBAC objects: a path segment name, so
// "system:discovery" is fine); empty when fine.
std::string validateName(const std::string& name, bool path_segment = false);

}  // namespace mr::apiserver
