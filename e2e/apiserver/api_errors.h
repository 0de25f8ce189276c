// Kubernetes Status bodies for API errors (metav1.Status with reason, code, details), shaped
// like kube-apiserver's so kubectl and client libraries print and classify them correctly.
// Thread-safety: value types and pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "resource_registry.h"
#include "schema_validator.h"

namespace mr::apiserver {

struct ApiError {
  int code = 500;
  std::string reason;  // NotFound, AlreadyExists, Conflict, Invalid, BadRequest, ...
  std::string message;
  nlohmann::json details;  // null or {name, group, kind, causes}
  std::vector<std::pair<std::string, std::string>> headers;

  nlohmann::json body() const;
};

// "modelrollouts.modelrollout.io" or "configmaps": how errors name a resource.
std::string qualifiedResource(const ResourceType& t);

ApiError errNotFound(const ResourceType& t, const std::string& name);
ApiError errAlreadyExists(const ResourceType& t, const std::string& name);
ApiError errConflict(const ResourceType& t, const std::string& name);
ApiError errInvalid(const ResourceType& t, const std::string& name,
                    const std::vector<FieldError>& errors);
ApiError errBadRequest(const std::string& message);
ApiError errMethodNotAllowed(const std::string& message);
ApiError errUnsupportedMediaType(const std::string& message);
ApiError errUnknownPath();  // "the server could not find the requested resource"
ApiError errUnauthorized();
// kube's NewForbidden: `<resource>[.<group>] ["<name>"] is forbidden: <reason>` (plain
// `forbidden: <reason>` when resource is empty), details {name, group, kind: resource}.
ApiError errForbidden(const std::string& group, const std::string& resource,
                      const std::string& name, const std::string& reason);
ApiError errInjected(int code, int retry_after_seconds);
ApiError errInternal(const std::string& message);

}  // namespace mr::apiserver
