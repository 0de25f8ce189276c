// OpenAPI for kubectl: /openapi/v3 (index with per-group-version URLs keyed by a content
// hash, and per-GV documents whose PATCH operations carry x-kubernetes-group-version-kind and a
// fieldValidation parameter, so `kubectl apply` delegates validation to the server) and a
// minimal /openapi/v2. Strategic merge patch is never advertised: kubectl then uses its
// compiled-in types for built-ins and JSON merge patch for custom resources.
#include "api_server.h"

namespace mr::apiserver {

using json = nlohmann::json;

namespace {

std::string schemaName(const ResourceType& t, const std::string& v) {
  // Reverse-domain names like the real server: io.modelrollout.v1alpha1.ModelRollout.
  std::string g = t.group.empty() ? "io.k8s.api.core" : t.group;
  if (!t.group.empty()) {
    std::string rev;
    size_t end = g.size();
    while (true) {
      size_t dot = g.rfind('.', end - 1);
      std::string part = g.substr(dot == std::string::npos ? 0 : dot + 1,
                                  end - (dot == std::string::npos ? 0 : dot + 1));
      rev += (rev.empty() ? "" : ".") + part;
      if (dot == std::string::npos || dot == 0) break;
      end = dot;
    }
    g = rev;
  }
  return g + "." + v + "." + t.kind;
}

json param(const std::string& name, const std::string& in, const std::string& type = "string") {
  json p = {{"name", name}, {"in", in}, {"schema", {{"type", type}, {"uniqueItems", true}}}};
  if (in == "path") p["required"] = true;
  return p;
}

json groupVersionDoc(const std::vector<ResourceTypePtr>& types, const std::string& group,
                     const std::string& version) {
  json paths = json::object();
  json schemas = json::object();
  schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Patch"] = {
      {"type", "object"},
      {"description",
       "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body."}};
  std::string prefix = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  for (const auto& t : types) {
    if (t->group != group) continue;
    const ServedVersion* sv = t->version(version);
    if (!sv) continue;
    std::string def = schemaName(*t, version);
    json gvk = {{"group", group}, {"version", version}, {"kind", t->kind}};
    json schema = sv->schema.is_object()
                      ? sv->schema
                      : json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    schema["x-kubernetes-group-version-kind"] = json::array({gvk});
    schemas[def] = schema;
    json ref = {{"$ref", "#/components/schemas/" + def}};
    json ok = {
        {"200", {{"description", "OK"}, {"content", {{"application/json", {{"schema", ref}}}}}}}};
    json body = {
        {"content",
         {{"application/json-patch+json",
           {{"schema",
             {{"$ref", "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}}}}},
          {"application/merge-patch+json",
           {{"schema",
             {{"$ref", "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}}}}},
          {"application/apply-patch+yaml",
           {{"schema",
             {{"$ref", "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}}}}}}},
        {"required", true}};
    json write_params = json::array({param("dryRun", "query"), param("fieldManager", "query"),
                                     param("fieldValidation", "query")});
    json item_params = json::array({param("name", "path")});
    if (t->namespaced) item_params.push_back(param("namespace", "path"));
    std::string base = prefix + (t->namespaced ? "/namespaces/{namespace}/" : "/") + t->plural;
    auto op = [&](const std::string& action, const std::string& verb) {
      return json{{"operationId", verb + t->kind},
                  {"x-kubernetes-action", action},
                  {"x-kubernetes-group-version-kind", gvk},
                  {"responses", ok}};
    };
    json item = {{"parameters", item_params},
                 {"get", op("get", "read")},
                 {"put", op("put", "replace")},
                 {"delete", op("delete", "delete")}};
    json patch = op("patch", "patch");
    json patch_params = write_params;
    patch_params.push_back(param("force", "query", "boolean"));
    patch["parameters"] = patch_params;
    patch["requestBody"] = body;
    item["patch"] = patch;
    item["put"]["parameters"] = write_params;
    item["put"]["requestBody"] = {{"content", {{"application/json", {{"schema", ref}}}}},
                                  {"required", true}};
    paths[base + "/{name}"] = item;
    json collection = {{"get", op("list", "list")}, {"post", op("post", "create")}};
    collection["post"]["parameters"] = write_params;
    collection["post"]["requestBody"] = {{"content", {{"application/json", {{"schema", ref}}}}},
                                         {"required", true}};
    if (t->namespaced) collection["parameters"] = json::array({param("namespace", "path")});
    paths[base] = collection;
    if (sv->status_subresource) {
      json status = {{"parameters", item_params},
                     {"get", op("get", "read")},
                     {"put", op("put", "replace")},
                     {"patch", patch}};
      status["get"]["operationId"] = "read" + t->kind + "Status";
      status["put"]["operationId"] = "replace" + t->kind + "Status";
      status["patch"]["operationId"] = "patch" + t->kind + "Status";
      paths[base + "/{name}/status"] = status;
    }
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
          {"paths", paths},
          {"components", {{"schemas", schemas}}}};
}

std::string hashOf(const std::string& s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016zX", std::hash<std::string>{}(s));
  return buf;
}

}  // namespace

bool ApiServer::handleOpenApi(const HttpRequest& req, ResponseWriter& w) {
  const std::string& p = req.path;
  if (p.rfind("/openapi/", 0) != 0 || req.method != "GET") return false;
  auto types = registry_.all();
  if (p == "/openapi/v2") {
    if (req.header("accept").find("protobuf") != std::string::npos) {
      // An empty protobuf message is a valid, empty OpenAPI v2 Document.
      w.send(200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", "");
    } else {
      sendJson(w, 200,
               {{"swagger", "2.0"},
                {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
                {"paths", json::object()},
                {"definitions", json::object()}});
    }
    return true;
  }
  if (p == "/openapi/v3" || p == "/openapi/v3/") {
    json paths = json::object();
    for (const auto& [group, versions] : registry_.groups()) {
      for (const auto& v : versions) {
        std::string key = group.empty() ? "api/" + v : "apis/" + group + "/" + v;
        std::string doc = groupVersionDoc(types, group, v).dump();
        paths[key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + hashOf(doc)}};
      }
    }
    sendJson(w, 200, {{"paths", paths}});
    return true;
  }
  std::string key = p.substr(std::string("/openapi/v3/").size());
  std::string group, version;
  if (key.rfind("api/", 0) == 0) {
    version = key.substr(4);
  } else if (key.rfind("apis/", 0) == 0) {
    std::string rest = key.substr(5);
    size_t slash = rest.find('/');
    if (slash == std::string::npos) return false;
    group = rest.substr(0, slash);
    version = rest.substr(slash + 1);
  } else {
    return false;
  }
  for (const auto& [g, versions] : registry_.groups()) {
    if (g == group && std::find(versions.begin(), versions.end(), version) != versions.end()) {
      sendJson(w, 200, groupVersionDoc(types, group, version),
               {{"Cache-Control", "public, immutable"}});
      return true;
    }
  }
  sendError(w, errUnknownPath());
  return true;
}

}  // namespace mr::apiserver
