// The RBAC authorizer against kube-apiserver's rules, table-driven: request attributes from
// method/path/query, rule matching (verbs, groups, resources/subresources, resourceNames,
// nonResourceURLs), subjects, bindings (ClusterRoleBinding, RoleBinding to a Role or a
// ClusterRole scoped to its namespace), the 403 message, aggregation and RBAC validation.
#include "rbac_authorizer.h"

#include <gtest/gtest.h>

#include "rbac_objects.h"

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

AuthzAttributes attrs(const std::string& method, const std::string& path,
                      std::multimap<std::string, std::string> query = {}) {
  return requestAttributes(method, path, query);
}

struct AttrCase {
  std::string method, path;
  std::multimap<std::string, std::string> query;
  bool resource;
  std::string verb, group, resource_name, sub, ns, name;
};

TEST(RbacRequestAttributesTest, DerivesKubeRequestInfo) {
  const std::vector<AttrCase> cases = {
      {"GET",
       "/apis/apps/v1/namespaces/p/deployments/d",
       {},
       true,
       "get",
       "apps",
       "deployments",
       "",
       "p",
       "d"},
      {"GET",
       "/apis/apps/v1/namespaces/p/deployments",
       {},
       true,
       "list",
       "apps",
       "deployments",
       "",
       "p",
       ""},
      {"GET",
       "/apis/apps/v1/deployments",
       {{"watch", "true"}},
       true,
       "watch",
       "apps",
       "deployments",
       "",
       "",
       ""},
      {"GET",
       "/apis/apps/v1/watch/namespaces/p/deployments",
       {},
       true,
       "watch",
       "apps",
       "deployments",
       "",
       "p",
       ""},
      {"GET",
       "/api/v1/namespaces/p/pods",
       {{"fieldSelector", "metadata.name=x"}},
       true,
       "list",
       "",
       "pods",
       "",
       "p",
       "x"},
      {"GET",
       "/apis/coordination.k8s.io/v1/namespaces/s/leases",
       {{"watch", "1"}, {"fieldSelector", "metadata.name==l"}},
       true,
       "watch",
       "coordination.k8s.io",
       "leases",
       "",
       "s",
       "l"},
      {"PUT",
       "/apis/apps/v1/namespaces/p/deployments/d/status",
       {},
       true,
       "update",
       "apps",
       "deployments",
       "status",
       "p",
       "d"},
      {"PATCH",
       "/apis/apps/v1/namespaces/p/deployments/d/scale",
       {},
       true,
       "patch",
       "apps",
       "deployments",
       "scale",
       "p",
       "d"},
      {"POST", "/api/v1/namespaces/p/events", {}, true, "create", "", "events", "", "p", ""},
      {"POST",
       "/api/v1/namespaces/s/serviceaccounts/sa/token",
       {},
       true,
       "create",
       "",
       "serviceaccounts",
       "token",
       "s",
       "sa"},
      {"DELETE",
       "/api/v1/namespaces/p/configmaps",
       {},
       true,
       "deletecollection",
       "",
       "configmaps",
       "",
       "p",
       ""},
      {"DELETE",
       "/api/v1/namespaces/p/configmaps/c",
       {},
       true,
       "delete",
       "",
       "configmaps",
       "",
       "p",
       "c"},
      // A namespace is in itself; its status is a subresource.
      {"GET", "/api/v1/namespaces/p", {}, true, "get", "", "namespaces", "", "p", "p"},
      {"PUT",
       "/api/v1/namespaces/p/status",
       {},
       true,
       "update",
       "",
       "namespaces",
       "status",
       "p",
       "p"},
      {"GET", "/api/v1/namespaces", {}, true, "list", "", "namespaces", "", "", ""},
      // Discovery and everything outside /api, /apis are non-resource requests.
      {"GET", "/apis/apps/v1", {}, false, "get", "", "", "", "", ""},
      {"GET", "/apis", {}, false, "get", "", "", "", "", ""},
      {"GET", "/api", {}, false, "get", "", "", "", "", ""},
      {"GET", "/openapi/v3", {}, false, "get", "", "", "", "", ""},
      {"POST", "/logs", {}, false, "post", "", "", "", "", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.path);
    AuthzAttributes a = attrs(c.method, c.path, c.query);
    EXPECT_EQ(a.resource_request, c.resource);
    EXPECT_EQ(a.verb, c.verb);
    EXPECT_EQ(a.api_group, c.group);
    EXPECT_EQ(a.resource, c.resource_name);
    EXPECT_EQ(a.subresource, c.sub);
    EXPECT_EQ(a.ns, c.ns);
    EXPECT_EQ(a.name, c.name);
    EXPECT_EQ(a.path, c.path);
  }
}

struct RuleCase {
  const char* what;
  json rule;
  std::string method, path;
  std::multimap<std::string, std::string> query;
  bool allowed;
};

TEST(RbacRuleAllowsTest, MatchesLikeKubeApiserver) {
  const std::string dep = "/apis/apps/v1/namespaces/p/deployments";
  const json deploy_get = {
      {"apiGroups", {"apps"}}, {"resources", {"deployments"}}, {"verbs", {"get"}}};
  const std::vector<RuleCase> cases = {
      {"exact verb, group and resource", deploy_get, "GET", dep + "/d", {}, true},
      {"other verb", deploy_get, "PUT", dep + "/d", {}, false},
      {"get does not grant list", deploy_get, "GET", dep, {}, false},
      {"get does not grant watch", deploy_get, "GET", dep, {{"watch", "true"}}, false},
      {"other group",
       {{"apiGroups", {""}}, {"resources", {"deployments"}}, {"verbs", {"get"}}},
       "GET",
       dep + "/d",
       {},
       false},
      {"core group is the empty string",
       {{"apiGroups", {""}}, {"resources", {"pods"}}, {"verbs", {"list"}}},
       "GET",
       "/api/v1/namespaces/p/pods",
       {},
       true},
      {"'*' verb",
       {{"apiGroups", {"apps"}}, {"resources", {"deployments"}}, {"verbs", {"*"}}},
       "DELETE",
       dep,
       {},
       true},
      {"'*' group",
       {{"apiGroups", {"*"}}, {"resources", {"deployments"}}, {"verbs", {"get"}}},
       "GET",
       dep + "/d",
       {},
       true},
      {"'*' resource",
       {{"apiGroups", {"apps"}}, {"resources", {"*"}}, {"verbs", {"get"}}},
       "GET",
       dep + "/d/status",
       {},
       true},
      {"resource does not grant its subresource", deploy_get, "GET", dep + "/d/status", {}, false},
      {"subresource does not grant the resource",
       {{"apiGroups", {"apps"}}, {"resources", {"deployments/status"}}, {"verbs", {"get"}}},
       "GET",
       dep + "/d",
       {},
       false},
      {"res/sub",
       {{"apiGroups", {"apps"}}, {"resources", {"deployments/status"}}, {"verbs", {"update"}}},
       "PUT",
       dep + "/d/status",
       {},
       true},
      {"*/sub",
       {{"apiGroups", {"apps"}}, {"resources", {"*/scale"}}, {"verbs", {"patch"}}},
       "PATCH",
       dep + "/d/scale",
       {},
       true},
      {"*/sub is not another subresource",
       {{"apiGroups", {"apps"}}, {"resources", {"*/scale"}}, {"verbs", {"patch"}}},
       "PATCH",
       dep + "/d/status",
       {},
       false},
      {"resourceNames: that name",
       {{"apiGroups", {"apps"}},
        {"resources", {"deployments"}},
        {"resourceNames", {"d"}},
        {"verbs", {"get", "list", "watch", "create"}}},
       "GET",
       dep + "/d",
       {},
       true},
      {"resourceNames: another name",
       {{"apiGroups", {"apps"}},
        {"resources", {"deployments"}},
        {"resourceNames", {"d"}},
        {"verbs", {"get"}}},
       "GET",
       dep + "/e",
       {},
       false},
      {"resourceNames never grant list",
       {{"apiGroups", {"apps"}},
        {"resources", {"deployments"}},
        {"resourceNames", {"d"}},
        {"verbs", {"list"}}},
       "GET",
       dep,
       {},
       false},
      {"resourceNames grant a list selecting that name",
       {{"apiGroups", {"apps"}},
        {"resources", {"deployments"}},
        {"resourceNames", {"d"}},
        {"verbs", {"list"}}},
       "GET",
       dep,
       {{"fieldSelector", "metadata.name=d"}},
       true},
      {"resourceNames never grant create",
       {{"apiGroups", {"apps"}},
        {"resources", {"deployments"}},
        {"resourceNames", {"d"}},
        {"verbs", {"create"}}},
       "POST",
       dep,
       {},
       false},
      {"resourceNames never grant deletecollection",
       {{"apiGroups", {"apps"}},
        {"resources", {"deployments"}},
        {"resourceNames", {"d"}},
        {"verbs", {"deletecollection"}}},
       "DELETE",
       dep,
       {},
       false},
      {"nonResourceURL exact",
       {{"nonResourceURLs", {"/apis"}}, {"verbs", {"get"}}},
       "GET",
       "/apis",
       {},
       true},
      {"nonResourceURL prefix*",
       {{"nonResourceURLs", {"/apis/*"}}, {"verbs", {"get"}}},
       "GET",
       "/apis/apps/v1",
       {},
       true},
      {"nonResourceURL prefix* is not the bare path",
       {{"nonResourceURLs", {"/apis/*"}}, {"verbs", {"get"}}},
       "GET",
       "/apis",
       {},
       false},
      {"nonResourceURL verb",
       {{"nonResourceURLs", {"/apis"}}, {"verbs", {"get"}}},
       "POST",
       "/apis",
       {},
       false},
      {"nonResourceURLs do not grant resources",
       {{"nonResourceURLs", {"*"}}, {"verbs", {"*"}}},
       "GET",
       dep + "/d",
       {},
       false},
      {"resource rules do not grant paths",
       {{"apiGroups", {"*"}}, {"resources", {"*"}}, {"verbs", {"*"}}},
       "GET",
       "/apis",
       {},
       false},
      {"malformed rule", json("not a rule"), "GET", dep + "/d", {}, false},
      {"verbs of the wrong type",
       {{"apiGroups", {"apps"}}, {"resources", {"deployments"}}, {"verbs", "get"}},
       "GET",
       dep + "/d",
       {},
       false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(ruleAllows(c.rule, attrs(c.method, c.path, c.query)), c.allowed);
  }
}

TEST(RbacSubjectTest, UsersGroupsAndServiceAccounts) {
  UserInfo sa = serviceAccountUser("ctl", "mr");
  EXPECT_EQ(sa.name, "system:serviceaccount:ctl:mr");
  struct Case {
    json subject;
    std::string binding_ns;
    bool applies;
  };
  const std::vector<Case> cases = {
      {{{"kind", "ServiceAccount"}, {"name", "mr"}, {"namespace", "ctl"}}, "", true},
      {{{"kind", "ServiceAccount"}, {"name", "mr"}, {"namespace", "other"}}, "", false},
      {{{"kind", "ServiceAccount"}, {"name", "mr"}}, "ctl", true},  // defaults to the binding's
      {{{"kind", "ServiceAccount"}, {"name", "mr"}}, "", false},
      {{{"kind", "Group"}, {"name", "system:serviceaccounts"}}, "", true},
      {{{"kind", "Group"}, {"name", "system:serviceaccounts:ctl"}}, "", true},
      {{{"kind", "Group"}, {"name", "system:serviceaccounts:other"}}, "", false},
      {{{"kind", "Group"}, {"name", "system:authenticated"}}, "", true},
      {{{"kind", "User"}, {"name", "system:serviceaccount:ctl:mr"}}, "", true},
      {{{"kind", "User"}, {"name", "mr"}}, "", false},
      {{{"kind", "Robot"}, {"name", "system:serviceaccount:ctl:mr"}}, "", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.subject.dump());
    EXPECT_EQ(subjectApplies(c.subject, sa, c.binding_ns), c.applies);
  }
}

class FakeRbac final : public RbacSource {
 public:
  std::vector<json> crbs;
  std::map<std::string, std::vector<json>> rbs;
  std::map<std::string, json> cluster_roles;
  std::map<std::string, json> roles;  // "ns/name"
  std::vector<json> clusterRoleBindings() const override { return crbs; }
  std::vector<json> roleBindings(const std::string& ns) const override {
    auto it = rbs.find(ns);
    return it == rbs.end() ? std::vector<json>{} : it->second;
  }
  std::optional<json> clusterRole(const std::string& n) const override {
    auto it = cluster_roles.find(n);
    return it == cluster_roles.end() ? std::nullopt : std::optional<json>(it->second);
  }
  std::optional<json> role(const std::string& ns, const std::string& n) const override {
    auto it = roles.find(ns + "/" + n);
    return it == roles.end() ? std::nullopt : std::optional<json>(it->second);
  }
};

json binding(const std::string& name, const std::string& kind, const std::string& role,
             json subjects) {
  return {{"metadata", {{"name", name}}},
          {"roleRef", {{"apiGroup", kRbacGroup}, {"kind", kind}, {"name", role}}},
          {"subjects", subjects}};
}

json saSubject(const std::string& ns, const std::string& name) {
  return json::array({{{"kind", "ServiceAccount"}, {"name", name}, {"namespace", ns}}});
}

TEST(RbacAuthorizeTest, BindingsScopeTheirRules) {
  FakeRbac src;
  src.cluster_roles["reader"] = {
      {"rules",
       {{{"apiGroups", {"apps"}}, {"resources", {"deployments"}}, {"verbs", {"get", "list"}}}}}};
  src.cluster_roles["leases"] = {
      {"rules",
       {{{"apiGroups", {"coordination.k8s.io"}}, {"resources", {"leases"}}, {"verbs", {"*"}}}}}};
  src.roles["ctl/pods"] = {
      {"rules", {{{"apiGroups", {""}}, {"resources", {"pods"}}, {"verbs", {"list"}}}}}};
  src.crbs.push_back(binding("r", "ClusterRole", "reader", saSubject("ctl", "mr")));
  src.rbs["team"].push_back(binding("l", "ClusterRole", "leases", saSubject("ctl", "mr")));
  src.rbs["ctl"].push_back(binding("p", "Role", "pods", saSubject("ctl", "mr")));
  // A RoleBinding in another namespace naming a Role that exists only in ctl grants nothing.
  src.rbs["team"].push_back(binding("p", "Role", "pods", saSubject("ctl", "mr")));
  UserInfo mr = serviceAccountUser("ctl", "mr");
  UserInfo other = serviceAccountUser("ctl", "other");
  struct Case {
    const char* what;
    const UserInfo& user;
    std::string method, path;
    bool allowed;
    std::string grant;  // "binding|role|rule" of the first grant
  };
  const std::vector<Case> cases = {
      {"ClusterRoleBinding: every namespace", mr, "GET",
       "/apis/apps/v1/namespaces/any/deployments/d", true,
       "ClusterRoleBinding/r|ClusterRole/reader|0"},
      {"ClusterRoleBinding: cluster scope", mr, "GET", "/apis/apps/v1/deployments", true,
       "ClusterRoleBinding/r|ClusterRole/reader|0"},
      {"another ServiceAccount", other, "GET", "/apis/apps/v1/namespaces/any/deployments/d", false,
       ""},
      {"RoleBinding to a ClusterRole: its namespace", mr, "PUT",
       "/apis/coordination.k8s.io/v1/namespaces/team/leases/x", true,
       "RoleBinding/team/l|ClusterRole/leases|0"},
      {"RoleBinding to a ClusterRole: not another namespace", mr, "PUT",
       "/apis/coordination.k8s.io/v1/namespaces/ctl/leases/x", false, ""},
      {"RoleBinding to a ClusterRole: not cluster-wide", mr, "GET",
       "/apis/coordination.k8s.io/v1/leases", false, ""},
      {"RoleBinding to a Role", mr, "GET", "/api/v1/namespaces/ctl/pods", true,
       "RoleBinding/ctl/p|Role/ctl/pods|0"},
      {"a Role of another namespace", mr, "GET", "/api/v1/namespaces/team/pods", false, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Decision d = authorize(src, c.user, attrs(c.method, c.path));
    EXPECT_EQ(d.allowed, c.allowed);
    if (!c.grant.empty()) {
      ASSERT_FALSE(d.grants.empty());
      const Grant& g = d.grants.front();
      EXPECT_EQ(g.binding + "|" + g.role + "|" + std::to_string(g.rule), c.grant);
    }
  }
}

TEST(RbacAuthorizeTest, MastersBypassRbacAndMissingRolesGrantNothing) {
  FakeRbac src;
  src.crbs.push_back(binding("dangling", "ClusterRole", "absent", saSubject("ctl", "mr")));
  EXPECT_FALSE(
      authorize(src, serviceAccountUser("ctl", "mr"), attrs("GET", "/api/v1/pods")).allowed);
  UserInfo admin{"kubernetes-admin", {"system:masters", "system:authenticated"}};
  EXPECT_TRUE(authorize(src, admin, attrs("DELETE", "/api/v1/namespaces/x")).allowed);
}

TEST(RbacAuthorizeTest, ReportsEveryMatchingRule) {
  FakeRbac src;
  src.cluster_roles["a"] = {{"rules",
                             {{{"apiGroups", {""}}, {"resources", {"pods"}}, {"verbs", {"list"}}},
                              {{"apiGroups", {"*"}}, {"resources", {"*"}}, {"verbs", {"list"}}}}}};
  src.crbs.push_back(binding("a", "ClusterRole", "a", saSubject("ctl", "mr")));
  Decision d = authorize(src, serviceAccountUser("ctl", "mr"), attrs("GET", "/api/v1/pods"));
  ASSERT_EQ(d.grants.size(), 2u);
  EXPECT_EQ(d.grants[0].rule, 0u);
  EXPECT_EQ(d.grants[1].rule, 1u);
}

TEST(RbacForbiddenMessageTest, ReadsLikeKubeApiserver) {
  UserInfo u = serviceAccountUser("ns", "sa");
  EXPECT_EQ(forbiddenMessage(u, attrs("GET", "/apis/apps/v1/namespaces/ns/deployments/d")),
            "User \"system:serviceaccount:ns:sa\" cannot get resource \"deployments\" in API "
            "group \"apps\" in the namespace \"ns\"");
  EXPECT_EQ(forbiddenMessage(u, attrs("PUT", "/apis/apps/v1/namespaces/ns/deployments/d/status")),
            "User \"system:serviceaccount:ns:sa\" cannot update resource \"deployments/status\" "
            "in API group \"apps\" in the namespace \"ns\"");
  EXPECT_EQ(forbiddenMessage(u, attrs("GET", "/api/v1/namespaces")),
            "User \"system:serviceaccount:ns:sa\" cannot list resource \"namespaces\" in API "
            "group \"\" at the cluster scope");
  EXPECT_EQ(forbiddenMessage(u, attrs("GET", "/openapi/v3")),
            "User \"system:serviceaccount:ns:sa\" cannot get path \"/openapi/v3\"");
}

json labelledRole(const std::string& name, json labels, json rules) {
  return {{"metadata", {{"name", name}, {"labels", labels}}}, {"rules", rules}};
}

TEST(RbacAggregationTest, UnionOfMatchingRolesInNameOrderWithoutDuplicates) {
  const json r1 = {{"apiGroups", {"a"}}, {"resources", {"x"}}, {"verbs", {"get"}}};
  const json r2 = {{"apiGroups", {"b"}}, {"resources", {"y"}}, {"verbs", {"list"}}};
  json agg = {{"metadata", {{"name", "agg"}}},
              {"aggregationRule",
               {{"clusterRoleSelectors",
                 {{{"matchLabels", {{"to-agg", "true"}}}},
                  {{"matchExpressions", {{{"key", "also"}, {"operator", "Exists"}}}}}}}}},
              {"rules", json::array({{{"apiGroups", {"stale"}}}})}};
  std::vector<json> roles = {agg, labelledRole("z-second", {{"to-agg", "true"}}, {r2, r1}),
                             labelledRole("a-first", {{"to-agg", "true"}}, {r1}),
                             labelledRole("m-expr", {{"also", "x"}}, {r2}),
                             labelledRole("unrelated", {{"to-agg", "false"}}, {r1, r2})};
  std::optional<json> rules = aggregatedRules(agg, roles);
  ASSERT_TRUE(rules);
  EXPECT_EQ(*rules, json::array({r1, r2}));
  EXPECT_FALSE(aggregatedRules(roles[1], roles));  // no aggregationRule
  // Nothing matches any more: the aggregated role is emptied, not left stale.
  EXPECT_EQ(*aggregatedRules(agg, {agg}), json::array());
}

TEST(RbacValidationTest, RejectsWhatKubeApiserverRejects) {
  auto fields = [](const std::vector<FieldError>& errs) {
    std::string out;
    for (const auto& e : errs)
      out += e.field + ";";
    return out;
  };
  json good_role = {
      {"rules", {{{"apiGroups", {""}}, {"resources", {"pods"}}, {"verbs", {"get"}}}}}};
  EXPECT_EQ(fields(validateRbac("roles", good_role, nullptr)), "");
  EXPECT_EQ(fields(validateRbac(
                "roles", {{"rules", {{{"apiGroups", {""}}, {"resources", {"pods"}}}}}}, nullptr)),
            "rules[0].verbs;");
  EXPECT_EQ(fields(validateRbac(
                "roles", {{"rules", {{{"resources", {"pods"}}, {"verbs", {"get"}}}}}}, nullptr)),
            "rules[0].apiGroups;");
  EXPECT_EQ(
      fields(validateRbac("roles", {{"rules", {{{"nonResourceURLs", {"/x"}}, {"verbs", {"get"}}}}}},
                          nullptr)),
      "rules[0].nonResourceURLs;");
  EXPECT_EQ(fields(validateRbac("clusterroles",
                                {{"rules", {{{"nonResourceURLs", {"/x"}}, {"verbs", {"get"}}}}}},
                                nullptr)),
            "");
  json b = binding("b", "Role", "r", saSubject("ctl", "mr"));
  EXPECT_EQ(fields(validateRbac("rolebindings", b, nullptr)), "");
  EXPECT_EQ(fields(validateRbac("clusterrolebindings", b, nullptr)), "roleRef.kind;");
  json changed = binding("b", "Role", "other", saSubject("ctl", "mr"));
  EXPECT_EQ(fields(validateRbac("rolebindings", changed, &b)), "roleRef;");
  json no_ns =
      binding("b", "ClusterRole", "r", json::array({{{"kind", "ServiceAccount"}, {"name", "mr"}}}));
  EXPECT_EQ(fields(validateRbac("clusterrolebindings", no_ns, nullptr)), "subjects[0].namespace;");
}

}  // namespace
}  // namespace mr::apiserver
