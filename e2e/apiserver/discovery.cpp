// Discovery: legacy (/api APIVersions, /apis APIGroupList, APIResourceList per group-version)
// and aggregated v2 (APIGroupDiscoveryList, chosen when the Accept header asks for it, with the
// matching Content-Type so clients pick the right parser).
#include "api_server.h"

namespace mr::apiserver {

using json = nlohmann::json;

namespace {

const json kVerbs = {"create", "delete", "deletecollection", "get",
                     "list",   "patch",  "update",           "watch"};

bool wantsAggregated(const std::string& accept, std::string& version) {
  if (accept.find("as=APIGroupDiscoveryList") == std::string::npos) return false;
  version = accept.find("v=v2;") != std::string::npos ||
                    accept.find("v=v2,") != std::string::npos || accept.ends_with("v=v2")
                ? "v2"
                : "v2beta1";
  return true;
}

json gvk(const ResourceType& t, const std::string& v) {
  return {{"group", t.group}, {"version", v}, {"kind", t.kind}};
}

json aggregatedResource(const ResourceType& t, const ServedVersion& v) {
  json r = {{"resource", t.plural},
            {"responseKind", gvk(t, v.name)},
            {"scope", t.namespaced ? "Namespaced" : "Cluster"},
            {"singularResource", t.singular},
            {"verbs", kVerbs}};
  if (!t.short_names.empty()) r["shortNames"] = t.short_names;
  if (!t.categories.empty()) r["categories"] = t.categories;
  json subs = json::array();
  if (v.status_subresource)
    subs.push_back({{"subresource", "status"},
                    {"responseKind", gvk(t, v.name)},
                    {"verbs", {"get", "patch", "update"}}});
  if (v.scale_subresource)
    subs.push_back(
        {{"subresource", "scale"},
         {"responseKind", {{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}}},
         {"verbs", {"get", "patch", "update"}}});
  if (v.token_subresource)
    subs.push_back(
        {{"subresource", "token"},
         {"responseKind",
          {{"group", "authentication.k8s.io"}, {"version", "v1"}, {"kind", "TokenRequest"}}},
         {"verbs", {"create"}}});
  if (!subs.empty()) r["subresources"] = subs;
  return r;
}

json resourceList(const std::vector<ResourceTypePtr>& types, const std::string& group,
                  const std::string& version) {
  json resources = json::array();
  for (const auto& t : types) {
    if (t->group != group) continue;
    const ServedVersion* v = t->version(version);
    if (!v) continue;
    json r = {{"name", t->plural},
              {"singularName", t->singular},
              {"namespaced", t->namespaced},
              {"kind", t->kind},
              {"verbs", kVerbs}};
    if (!t->short_names.empty()) r["shortNames"] = t->short_names;
    if (!t->categories.empty()) r["categories"] = t->categories;
    r["storageVersionHash"] = std::to_string(std::hash<std::string>{}(t->key()) % 100000000);
    resources.push_back(r);
    if (v->status_subresource) {
      resources.push_back({{"name", t->plural + "/status"},
                           {"singularName", ""},
                           {"namespaced", t->namespaced},
                           {"kind", t->kind},
                           {"verbs", {"get", "patch", "update"}}});
    }
    if (v->token_subresource) {
      resources.push_back({{"name", t->plural + "/token"},
                           {"singularName", ""},
                           {"namespaced", t->namespaced},
                           {"group", "authentication.k8s.io"},
                           {"version", "v1"},
                           {"kind", "TokenRequest"},
                           {"verbs", {"create"}}});
    }
    if (v->scale_subresource) {
      resources.push_back({{"name", t->plural + "/scale"},
                           {"singularName", ""},
                           {"namespaced", t->namespaced},
                           {"group", "autoscaling"},
                           {"version", "v1"},
                           {"kind", "Scale"},
                           {"verbs", {"get", "patch", "update"}}});
    }
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", resources}};
}

json apiGroup(const std::string& name, const std::vector<std::string>& versions) {
  json vs = json::array();
  for (const auto& v : versions)
    vs.push_back({{"groupVersion", name + "/" + v}, {"version", v}});
  return {{"name", name}, {"versions", vs}, {"preferredVersion", vs.at(0)}};
}

}  // namespace

bool ApiServer::handleDiscovery(const HttpRequest& req, ResponseWriter& w) {
  const std::string& p = req.path;
  std::string path = p.size() > 1 && p.back() == '/' ? p.substr(0, p.size() - 1) : p;
  if (req.method != "GET") return false;
  auto types = registry_.all();
  auto groups = registry_.groups();
  std::string agg_version;
  bool aggregated = wantsAggregated(req.header("accept"), agg_version);
  if (path == "/api" || path == "/apis") {
    bool core = path == "/api";
    if (aggregated) {
      json items = json::array();
      for (const auto& [group, versions] : groups) {
        if (group.empty() != core) continue;
        json vs = json::array();
        for (const auto& v : versions) {
          json resources = json::array();
          for (const auto& t : types) {
            if (t->group != group) continue;
            if (const ServedVersion* sv = t->version(v))
              resources.push_back(aggregatedResource(*t, *sv));
          }
          vs.push_back({{"version", v}, {"resources", resources}, {"freshness", "Current"}});
        }
        items.push_back(
            {{"metadata", {{"name", group}, {"creationTimestamp", nullptr}}}, {"versions", vs}});
      }
      json body = {{"kind", "APIGroupDiscoveryList"},
                   {"apiVersion", "apidiscovery.k8s.io/" + agg_version},
                   {"metadata", json::object()},
                   {"items", items}};
      sendJson(
          w, 200, body, {{"Vary", "Accept"}},
          "application/json;g=apidiscovery.k8s.io;v=" + agg_version + ";as=APIGroupDiscoveryList");
      return true;
    }
    if (core) {
      sendJson(w, 200,
               {{"kind", "APIVersions"},
                {"versions", {"v1"}},
                {"serverAddressByClientCIDRs",
                 {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", options_.external_address}}}}});
    } else {
      json list = json::array();
      for (const auto& [group, versions] : groups) {
        if (!group.empty()) list.push_back(apiGroup(group, versions));
      }
      sendJson(w, 200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", list}});
    }
    return true;
  }
  if (path == "/api/v1") {
    sendJson(w, 200, resourceList(types, "", "v1"));
    return true;
  }
  if (path.rfind("/apis/", 0) == 0) {
    std::string rest = path.substr(6);
    size_t slash = rest.find('/');
    std::string group = rest.substr(0, slash);
    for (const auto& [g, versions] : groups) {
      if (g != group || g.empty()) continue;
      if (slash == std::string::npos) {
        json body = apiGroup(g, versions);
        body["kind"] = "APIGroup";
        body["apiVersion"] = "v1";
        sendJson(w, 200, body);
        return true;
      }
      std::string version = rest.substr(slash + 1);
      if (version.find('/') != std::string::npos) return false;
      if (std::find(versions.begin(), versions.end(), version) == versions.end()) return false;
      sendJson(w, 200, resourceList(types, g, version));
      return true;
    }
    if (slash == std::string::npos || rest.find('/', slash + 1) == std::string::npos) {
      sendError(w, errUnknownPath());
      return true;
    }
  }
  return false;
}

}  // namespace mr::apiserver
