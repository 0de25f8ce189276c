// The rbac.authorization.k8s.io/v1 objects as kube-apiserver keeps them, independent of HTTP:
//  - bootstrapRbac(): the default ClusterRoles and ClusterRoleBindings every cluster starts with
//    (cluster-admin bound to system:masters; system:discovery and system:public-info-viewer
//    bound to system:authenticated; the user-facing aggregated roles admin, edit and view,
//    whose rules come from ClusterRoles labelled rbac.authorization.k8s.io/aggregate-to-*).
//  - aggregatedRules(): what the clusterrole-aggregation controller writes into a ClusterRole
//    with an aggregationRule: the union, without duplicates, of the rules of every other
//    ClusterRole matched by any of its clusterRoleSelectors, in the order of the roles' names.
//  - validateRbac(): the validation kube-apiserver applies to Roles, ClusterRoles and their
//    bindings (verbs required, resource rules need apiGroups, no nonResourceURLs in Roles or
//    mixed with resources, roleRef required and immutable, a ClusterRoleBinding may only
//    reference a ClusterRole, subjects need a kind and name).
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schema_validator.h"
#include "selectors.h"

namespace mr::apiserver {

inline const char* kRbacGroup = "rbac.authorization.k8s.io";

// (resource plural, object) pairs, ClusterRoles first.
std::vector<std::pair<std::string, nlohmann::json>> bootstrapRbac();

// A metav1.LabelSelector as a LabelSelector; {} matches everything, null or invalid nothing.
std::optional<LabelSelector> labelSelectorFromJson(const nlohmann::json& selector);

// nullopt when `role` has no aggregationRule; else the rules it must hold.
std::optional<nlohmann::json> aggregatedRules(const nlohmann::json& role,
                                              const std::vector<nlohmann::json>& cluster_roles);

// `plural` is roles, clusterroles, rolebindings or clusterrolebindings; `old` is null on create.
std::vector<FieldError> validateRbac(const std::string& plural, const nlohmann::json& obj,
                                     const nlohmann::json* old);

}  // namespace mr::apiserver
