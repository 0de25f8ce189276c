// RBAC over HTTP against an in-process server: TokenRequest, ServiceAccount authentication
// (401 for unknown, deleted or recreated accounts), 403 Status bodies shaped like
// kube-apiserver's, bindings taking effect, the admin endpoints for the admin only, the record
// of used permissions (/admin/authorizations) and ClusterRole aggregation.
#include <gtest/gtest.h>

#include "test_client.h"

namespace mr::apiserver::testing {
namespace {

using json = nlohmann::json;

class ApiserverRbacTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ApiServerOptions opts;
    opts.token = "admin-token";
    server_ = std::make_unique<ServerFixture>(opts);
    client_ = std::make_unique<TestClient>(server_->port());
    ASSERT_EQ(admin("POST", "/api/v1/namespaces", {{"metadata", {{"name", "ctl"}}}}).code, 201);
    ASSERT_EQ(admin("POST", "/api/v1/namespaces", {{"metadata", {{"name", "app"}}}}).code, 201);
    ASSERT_EQ(
        admin("POST", "/api/v1/namespaces/ctl/serviceaccounts", {{"metadata", {{"name", "mr"}}}})
            .code,
        201);
  }
  HttpResult as(const std::string& token, const std::string& m, const std::string& p,
                const json& body = nullptr) {
    std::map<std::string, std::string> h;
    if (!token.empty()) h["Authorization"] = "Bearer " + token;
    return client_->request(m, p, body.is_null() ? "" : body.dump(), h);
  }
  HttpResult admin(const std::string& m, const std::string& p, const json& body = nullptr) {
    return as("admin-token", m, p, body);
  }
  std::string token() {
    HttpResult r = admin("POST", "/api/v1/namespaces/ctl/serviceaccounts/mr/token",
                         {{"apiVersion", "authentication.k8s.io/v1"},
                          {"kind", "TokenRequest"},
                          {"spec", {{"expirationSeconds", 3600}}}});
    EXPECT_EQ(r.code, 201) << r.body;
    return r.json()["status"].value("token", "");
  }
  void bindRole(const std::string& ns, json rules) {
    ASSERT_EQ(admin("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns + "/roles",
                    {{"metadata", {{"name", "r"}}}, {"rules", rules}})
                  .code,
              201);
    HttpResult b = admin(
        "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns + "/rolebindings",
        {{"metadata", {{"name", "r"}}},
         {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "r"}}},
         {"subjects", {{{"kind", "ServiceAccount"}, {"name", "mr"}, {"namespace", "ctl"}}}}});
    ASSERT_EQ(b.code, 201) << b.body;
  }
  std::unique_ptr<ServerFixture> server_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(ApiserverRbacTest, ForbiddenBodyIsKubeApiserversStatus) {
  std::string t = token();
  HttpResult r = as(t, "GET", "/apis/apps/v1/namespaces/app/deployments/web");
  EXPECT_EQ(r.code, 403);
  EXPECT_EQ(r.json(),
            json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
              "message":"deployments.apps \"web\" is forbidden: User \"system:serviceaccount:ctl:mr\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"app\"",
              "reason":"Forbidden","details":{"name":"web","group":"apps","kind":"deployments"},"code":403})"));
  HttpResult list = as(t, "GET", "/api/v1/pods");
  EXPECT_EQ(list.code, 403);
  EXPECT_EQ(list.json()["message"],
            "pods is forbidden: User \"system:serviceaccount:ctl:mr\" cannot list resource "
            "\"pods\" in API group \"\" at the cluster scope");
  EXPECT_EQ(list.json()["details"], json({{"kind", "pods"}}));
  // Denied before routing, like kube: an unknown resource is 403, not 404.
  EXPECT_EQ(as(t, "GET", "/apis/nope.io/v1/things").code, 403);
  HttpResult admin_path = as(t, "GET", "/admin/writes");
  EXPECT_EQ(admin_path.code, 403);
  EXPECT_EQ(admin_path.json()["message"],
            "forbidden: User \"system:serviceaccount:ctl:mr\" cannot get path \"/admin/writes\"");
}

TEST_F(ApiserverRbacTest, RoleBindingGrantsOnlyItsNamespaceAndRules) {
  std::string t = token();
  bindRole(
      "app",
      {{{"apiGroups", {"apps"}}, {"resources", {"deployments"}}, {"verbs", {"get", "list"}}},
       {{"apiGroups", {"apps"}}, {"resources", {"deployments/status"}}, {"verbs", {"patch"}}}});
  EXPECT_EQ(as(t, "GET", "/apis/apps/v1/namespaces/app/deployments/web").code, 404);  // allowed
  EXPECT_EQ(as(t, "GET", "/apis/apps/v1/namespaces/app/deployments").code, 200);
  EXPECT_EQ(as(t, "GET", "/apis/apps/v1/namespaces/ctl/deployments").code, 403);
  EXPECT_EQ(as(t, "DELETE", "/apis/apps/v1/namespaces/app/deployments/web").code, 403);
  EXPECT_EQ(as(t, "GET", "/apis/apps/v1/namespaces/app/deployments?watch=true").code, 403);
  // Discovery is open to every authenticated user (system:discovery).
  EXPECT_EQ(as(t, "GET", "/apis/apps/v1").code, 200);

  json log = admin("GET", "/admin/authorizations?user=system:serviceaccount:ctl:mr").json();
  json reqs = log["users"]["system:serviceaccount:ctl:mr"]["requests"];
  auto find = [&](const std::string& verb, const std::string& ns) {
    for (const auto& r : reqs)
      if (r.value("verb", "") == verb && r.value("resource", "") == "deployments" &&
          r.value("namespace", "") == ns)
        return r;
    return json();
  };
  json get = find("get", "app");
  ASSERT_TRUE(get.is_object()) << reqs.dump();
  EXPECT_EQ(get["allowed"], 1);
  EXPECT_EQ(get["grantedBy"],
            json::parse(R"([{"binding":"RoleBinding/app/r","role":"Role/app/r","rule":0}])"));
  EXPECT_EQ(find("list", "ctl")["denied"], 1);
  EXPECT_EQ(find("delete", "app")["denied"], 1);
}

TEST_F(ApiserverRbacTest, UnknownDeletedOrRecreatedAccountsAreUnauthorized) {
  std::string t = token();
  EXPECT_EQ(as("not-a-token", "GET", "/api/v1/namespaces").code, 401);
  EXPECT_EQ(as("", "GET", "/api/v1/namespaces").code, 401);
  // Every other last character of the signature, including those that differ only in the bits
  // base64 decoding ignores (a 32-byte HMAC leaves 2 unused bits in its 43rd character).
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (char c : alphabet) {
    if (c == t.back()) continue;
    std::string forged = t;
    forged.back() = c;
    EXPECT_EQ(as(forged, "GET", "/apis").code, 401) << "last character " << c;
  }
  EXPECT_EQ(as(t, "GET", "/apis").code, 200);
  ASSERT_EQ(admin("DELETE", "/api/v1/namespaces/ctl/serviceaccounts/mr").code, 200);
  EXPECT_EQ(as(t, "GET", "/apis").code, 401);
  ASSERT_EQ(
      admin("POST", "/api/v1/namespaces/ctl/serviceaccounts", {{"metadata", {{"name", "mr"}}}})
          .code,
      201);
  EXPECT_EQ(as(t, "GET", "/apis").code, 401) << "a token of the deleted account must not work";
  EXPECT_EQ(
      admin("POST", "/api/v1/namespaces/ctl/serviceaccounts/absent/token", json::object()).code,
      404);
  HttpResult short_lived = admin("POST", "/api/v1/namespaces/ctl/serviceaccounts/mr/token",
                                 {{"spec", {{"expirationSeconds", 60}}}});
  EXPECT_EQ(short_lived.code, 422) << short_lived.body;
}

TEST_F(ApiserverRbacTest, AggregatedClusterRoleFollowsLabelledRoles) {
  const std::string roles = "/apis/rbac.authorization.k8s.io/v1/clusterroles";
  json rule = {
      {"apiGroups", {"modelrollout.io"}}, {"resources", {"modelrollouts"}}, {"verbs", {"get"}}};
  ASSERT_EQ(admin("POST", roles,
                  {{"metadata",
                    {{"name", "mr-view"},
                     {"labels", {{"rbac.authorization.k8s.io/aggregate-to-view", "true"}}}}},
                   {"rules", {rule}}})
                .code,
            201);
  auto has = [&](const std::string& role) {
    json rules = admin("GET", roles + "/" + role).json()["rules"];
    return std::find(rules.begin(), rules.end(), rule) != rules.end();
  };
  EXPECT_TRUE(has("view"));
  EXPECT_TRUE(has("edit")) << "view aggregates into edit";
  EXPECT_TRUE(has("admin")) << "edit aggregates into admin";
  ASSERT_EQ(admin("DELETE", roles + "/mr-view").code, 200);
  EXPECT_FALSE(has("view"));
  EXPECT_FALSE(has("admin"));
}

TEST_F(ApiserverRbacTest, InvalidRbacObjectsAre422) {
  HttpResult r = admin("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/app/roles",
                       {{"metadata", {{"name", "bad"}}},
                        {"rules", {{{"nonResourceURLs", {"/x"}}, {"verbs", {"get"}}}}}});
  EXPECT_EQ(r.code, 422) << r.body;
  bindRole("app", json::array());
  HttpResult change = client_->request(
      "PATCH", "/apis/rbac.authorization.k8s.io/v1/namespaces/app/rolebindings/r",
      json({{"roleRef", {{"name", "other"}}}}).dump(),
      {{"Authorization", "Bearer admin-token"}, {"Content-Type", "application/merge-patch+json"}});
  EXPECT_EQ(change.code, 422) << change.body;
}

}  // namespace
}  // namespace mr::apiserver::testing
