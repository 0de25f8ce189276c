// Authentication (admin token, ServiceAccount tokens), RBAC authorization of every request,
// the TokenRequest subresource, the bootstrap RBAC objects and ClusterRole aggregation.
#include <spdlog/spdlog.h>

#include "api_server.h"
#include "common/time_format.h"
#include "rbac_objects.h"

namespace mr::apiserver {

using json = nlohmann::json;

namespace {

const char* kClusterRoles = "clusterroles.rbac.authorization.k8s.io";
const char* kClusterRoleBindings = "clusterrolebindings.rbac.authorization.k8s.io";
const char* kRoles = "roles.rbac.authorization.k8s.io";
const char* kRoleBindings = "rolebindings.rbac.authorization.k8s.io";

UserInfo adminUser() {
  return {"kubernetes-admin", {kMastersGroup, "system:authenticated"}};
}

class StoreRbacSource final : public RbacSource {
 public:
  explicit StoreRbacSource(const ObjectStore& store) : store_(store) {}
  std::vector<json> clusterRoleBindings() const override { return all(kClusterRoleBindings, ""); }
  std::vector<json> roleBindings(const std::string& ns) const override {
    return all(kRoleBindings, ns);
  }
  std::optional<json> clusterRole(const std::string& name) const override {
    return one(kClusterRoles, "", name);
  }
  std::optional<json> role(const std::string& ns, const std::string& name) const override {
    return one(kRoles, ns, name);
  }

 private:
  std::vector<json> all(const std::string& key, const std::string& ns) const {
    std::vector<json> out;
    for (const auto& o : store_.list(key, ns, "", 0, [](const json&) { return true; }).items)
      out.push_back(*o);
    return out;
  }
  std::optional<json> one(const std::string& key, const std::string& ns,
                          const std::string& name) const {
    ObjPtr o = store_.get(key, ns, name);
    if (!o) return std::nullopt;
    return *o;
  }
  const ObjectStore& store_;
};

}  // namespace

void ApiServer::seedRbac() {
  for (auto& [plural, obj] : bootstrapRbac()) {
    ResourceTypePtr t = registry_.findByKey(plural + "." + kRbacGroup);
    RuleContext ctx{*t, "v1", clock_.now()};
    std::string name = obj["metadata"]["name"].get<std::string>();
    (void)prepareCreate(ctx, obj);
    (void)store_.mutate(t->key(), "", name, [&](const ObjPtr&) -> Result<Mutation> {
      return Mutation{Mutation::Kind::kPut, obj};
    });
  }
  reconcileAggregation();
}

std::optional<UserInfo> ApiServer::authenticate(const HttpRequest& req) const {
  std::string auth = req.header("authorization");
  if (auth.rfind("Bearer ", 0) != 0) {
    if (options_.token.empty()) return adminUser();  // no authentication configured
    return std::nullopt;
  }
  std::string token = auth.substr(7);
  if (!options_.token.empty() && token == options_.token) return adminUser();
  std::optional<ServiceAccountToken> sa = sa_tokens_.verify(token, clock_.now());
  if (!sa) return std::nullopt;
  // Like kube-apiserver: the ServiceAccount must still exist, and be the same one.
  ObjPtr obj = store_.get("serviceaccounts", sa->ns, sa->name);
  if (!obj) return std::nullopt;
  const json md = obj->value("metadata", json::object());
  if (!md.contains("uid") || !md["uid"].is_string() || md["uid"].get<std::string>() != sa->uid ||
      md.contains("deletionTimestamp"))
    return std::nullopt;
  return serviceAccountUser(sa->ns, sa->name);
}

bool ApiServer::authorizeRequest(const HttpRequest& req, const UserInfo& user, ResponseWriter& w) {
  AuthzAttributes a = requestAttributes(req.method, req.path, req.query);
  Decision d = authorize(StoreRbacSource(store_), user, a);
  authz_log_.record(user, a, d);
  if (d.allowed) return true;
  if (!a.resource_request) {
    sendError(w, errForbidden("", "", "", forbiddenMessage(user, a)));
  } else {
    sendError(w, errForbidden(a.api_group, a.resource, a.name, forbiddenMessage(user, a)));
  }
  return false;
}

void ApiServer::doTokenRequest(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w) {
  json body = json::object();
  if (std::string ct = req.header("content-type"); ct.find("protobuf") != std::string::npos) {
    return sendError(w, errUnsupportedMediaType(
                            "the body of the request was in an unknown format - accepted media "
                            "types include: application/json, application/yaml"));
  }
  if (!req.body.empty()) {
    body = json::parse(req.body, nullptr, false);
    if (!body.is_object())
      return sendError(w, errBadRequest("the body of the request could not be decoded"));
  }
  ObjPtr sa = store_.get("serviceaccounts", ri.ns, ri.name);
  if (!sa) return sendError(w, errNotFound(*ri.type, ri.name));
  const json spec =
      body.contains("spec") && body["spec"].is_object() ? body["spec"] : json::object();
  int64_t seconds = 3600;
  if (spec.contains("expirationSeconds") && !spec["expirationSeconds"].is_null()) {
    if (!spec["expirationSeconds"].is_number_integer())
      return sendError(w, errBadRequest("spec.expirationSeconds must be an integer"));
    seconds = spec["expirationSeconds"].get<int64_t>();
  }
  ResourceType token_type;
  token_type.group = "authentication.k8s.io";
  token_type.kind = "TokenRequest";
  token_type.plural = "tokenrequests";
  if (seconds < 600) {
    return sendError(w, errInvalid(token_type, "",
                                   {{"spec.expirationSeconds", "FieldValueInvalid",
                                     "Invalid value: " + std::to_string(seconds) +
                                         ": may not specify a duration less than 10 minutes"}}));
  }
  if (seconds > (int64_t{1} << 32)) {
    return sendError(w,
                     errInvalid(token_type, "",
                                {{"spec.expirationSeconds", "FieldValueTooLong",
                                  "Invalid value: " + std::to_string(seconds) +
                                      ": may not specify a duration larger than 2^32 seconds"}}));
  }
  std::vector<std::string> audiences;
  if (spec.contains("audiences") && spec["audiences"].is_array()) {
    for (const auto& a : spec["audiences"])
      if (a.is_string()) audiences.push_back(a.get<std::string>());
  }
  if (audiences.empty()) audiences.push_back(kApiAudience);
  const SystemTime now = clock_.now();
  ServiceAccountToken claims{ri.ns, ri.name, (*sa)["metadata"].value("uid", ""), audiences,
                             now + std::chrono::seconds(seconds)};
  std::string token = sa_tokens_.issue(claims, now);
  json out = {
      {"kind", "TokenRequest"},
      {"apiVersion", "authentication.k8s.io/v1"},
      {"metadata", {{"name", ri.name}, {"namespace", ri.ns}, {"creationTimestamp", nullptr}}},
      {"spec",
       {{"audiences", audiences},
        {"expirationSeconds", seconds},
        {"boundObjectRef", spec.value("boundObjectRef", json())}}},
      {"status", {{"token", token}, {"expirationTimestamp", formatRfc3339(claims.expires)}}}};
  if (req.hasParam("dryRun")) out["status"]["token"] = "";
  sendJson(w, 201, out);
}

void ApiServer::reconcileAggregation() {
  std::lock_guard lock(aggregation_mu_);
  // Aggregated roles can aggregate aggregated roles (edit into admin): repeat until stable.
  for (int round = 0; round < 8; ++round) {
    std::vector<json> roles;
    for (const auto& o :
         store_.list(kClusterRoles, "", "", 0, [](const json&) { return true; }).items)
      roles.push_back(*o);
    bool changed = false;
    for (const json& role : roles) {
      std::optional<json> rules = aggregatedRules(role, roles);
      if (!rules || role.value("rules", json()) == *rules) continue;
      std::string name = role["metadata"].value("name", "");
      (void)store_.mutate(kClusterRoles, "", name, [&](const ObjPtr& cur) -> Result<Mutation> {
        if (!cur) return Mutation{};
        json updated = *cur;
        updated["rules"] = *rules;
        return Mutation{Mutation::Kind::kPut, std::move(updated)};
      });
      changed = true;
    }
    if (!changed) return;
  }
  spdlog::warn("ClusterRole aggregation did not settle after 8 rounds");
}

}  // namespace mr::apiserver
