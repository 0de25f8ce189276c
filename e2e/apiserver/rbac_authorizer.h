// Authorization as kube-apiserver's RBAC authorizer decides it (plugin/pkg/auth/authorizer/rbac),
// independent of HTTP and of the object store:
//  - requestAttributes(): the authorizer attributes kube-apiserver's RequestInfoFactory derives
//    from method, path and query (verb get/list/watch/create/update/patch/delete/
//    deletecollection, API group, resource, subresource, namespace, name; a name-less GET is
//    list or watch and takes its name from an exact `metadata.name` field selector; a name-less
//    DELETE is deletecollection; /api/v1/namespaces/NAME is in namespace NAME; paths that are
//    not resources are non-resource requests with the lower-cased HTTP method as verb).
//  - ruleAllows(): one PolicyRule against the attributes: verbs ('*'), apiGroups ('' is core,
//    '*'), resources ('*', "res/sub", "*/sub"), resourceNames (a request without a name never
//    matches a rule that lists names), nonResourceURLs (exact or a trailing '*' prefix).
//  - subjectApplies(): User (name), Group (membership), ServiceAccount (namespace defaults to the
//    RoleBinding's own namespace; the user name is system:serviceaccount:NS:NAME).
//  - authorize(): the union of every ClusterRoleBinding's rules and, for a namespaced request,
//    every RoleBinding's in that namespace (a RoleBinding may reference a ClusterRole; its rules
//    then apply in that namespace only). The group system:masters is allowed everything without
//    consulting RBAC, as kube-apiserver's privileged-group authorizer does. Unlike kube, every
//    matching rule is reported (Decision::grants), so callers can tell which grants were used.
//  - forbiddenMessage(): the text of kube-apiserver's 403 ("User \"u\" cannot get resource
//    \"deployments\" in API group \"apps\" in the namespace \"ns\"").
// Thread-safety: pure functions; an RbacSource must be safe for the caller's concurrency.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mr::apiserver {

struct UserInfo {
  std::string name;
  std::vector<std::string> groups;
  bool inGroup(const std::string& g) const;
};

inline const char* kMastersGroup = "system:masters";

// UserInfo of a ServiceAccount: system:serviceaccount:NS:NAME in the groups
// system:serviceaccounts, system:serviceaccounts:NS and system:authenticated.
UserInfo serviceAccountUser(const std::string& ns, const std::string& name);

struct AuthzAttributes {
  bool resource_request = false;
  std::string verb;
  std::string api_group, api_version, resource, subresource, ns, name;
  std::string path;  // the request path (what non-resource rules match)
};

AuthzAttributes requestAttributes(const std::string& method, const std::string& path,
                                  const std::multimap<std::string, std::string>& query);

bool ruleAllows(const nlohmann::json& rule, const AuthzAttributes& a);
bool subjectApplies(const nlohmann::json& subject, const UserInfo& user,
                    const std::string& binding_namespace);

// The RBAC objects the authorizer reads (JSON as stored).
class RbacSource {
 public:
  virtual ~RbacSource() = default;
  virtual std::vector<nlohmann::json> clusterRoleBindings() const = 0;
  virtual std::vector<nlohmann::json> roleBindings(const std::string& ns) const = 0;
  virtual std::optional<nlohmann::json> clusterRole(const std::string& name) const = 0;
  virtual std::optional<nlohmann::json> role(const std::string& ns,
                                             const std::string& name) const = 0;
};

// One rule that allowed a request: "ClusterRoleBinding/NAME" or "RoleBinding/NS/NAME",
// "ClusterRole/NAME" or "Role/NS/NAME", and the rule's index in the role.
struct Grant {
  std::string binding;
  std::string role;
  size_t rule = 0;
  bool operator<(const Grant& o) const {
    return std::tie(binding, role, rule) < std::tie(o.binding, o.role, o.rule);
  }
};

struct Decision {
  bool allowed = false;
  std::vector<Grant> grants;  // empty for system:masters
};

Decision authorize(const RbacSource& source, const UserInfo& user, const AuthzAttributes& a);

std::string forbiddenMessage(const UserInfo& user, const AuthzAttributes& a);

}  // namespace mr::apiserver
