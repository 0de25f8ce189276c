// Builders for the objects a ModelRollout manages: Deployments `<name>-stable` and
// `<name>-canary`, Services `<name>-stable`, `<name>-canary` and the root Service `<name>`.
// build*() return the full object to create; ownedFieldsPatch() returns the JSON merge patch
// that brings a live object's *owned* fields to the desired ones, leaving every other field
// (user annotations, other controllers' fields, server defaults) untouched.
//
// Owned fields. Deployment: metadata.labels[modelrollout.io/*], our ownerReference,
// spec.replicas, spec.template (replaced only when its revision label differs, because the
// server defaults fields inside it). Service: metadata.labels[modelrollout.io/*], our
// ownerReference, spec.selector, spec.ports. Deployment selectors are immutable and carry only
// the user's matchLabels plus rollout and role (never the revision, so promotion can change
// the template in place).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>

#include "rollout/modelrollout_types.h"

namespace mr::rollout {

struct Owner {
  std::string name;
  std::string namespace_name;
  std::string uid;
};

enum class Role { kStable, kCanary };
const char* roleName(Role role);  // "stable" | "canary"

std::string deploymentName(const std::string& rollout, Role role);  // "<name>-<role>"
std::string serviceName(const std::string& rollout, Role role);     // "<name>-<role>"
std::string rootServiceName(const std::string& rollout);            // "<name>"

// The ownerReference (controller=true, blockOwnerDeletion=true).
Json ownerReference(const Owner& owner);

// REQUIRES: pod_template is a PodTemplateSpec object.
Json buildDeployment(const Owner& owner, const ModelRolloutSpec& spec, Role role,
                     const Json& pod_template, int replicas, const std::string& revision);

// Stable/canary Service: selects rollout + role, plus revision when `revision` is non-empty.
Json buildService(const Owner& owner, const ModelRolloutSpec& spec, Role role,
                  const std::string& revision);
// Root Service `<name>`: selects every pod of the rollout (both roles), by the rollout label.
Json buildRootService(const Owner& owner, const ModelRolloutSpec& spec);

// Merge patch over owned fields from `live` to `desired` (both of the same kind, as built
// above); std::nullopt when the live object already matches.
// Adoption (controller-runtime's rule): an existing object with our name may be written only
// when it carries our ownerReference (by uid), or when it has no controller owner and its
// user opted in with the annotation modelrollout.io/adopt: "true" (the patch then adds our
// reference). Returns "" when `live` may be written, else why not, naming `what` (e.g.
// "Deployment ml/m-stable"), for a Degraded condition.
inline constexpr const char* kAnnotationAdopt = "modelrollout.io/adopt";
std::string adoptionRefusal(const Json& live, const Owner& owner, const std::string& what);

std::optional<Json> deploymentPatch(const Json& live, const Json& desired);
std::optional<Json> servicePatch(const Json& live, const Json& desired);

// {"spec":{"replicas":n}}
Json scalePatch(int replicas);

}  // namespace mr::rollout
