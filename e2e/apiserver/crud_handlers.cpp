// The REST verbs on one resource: get, list, create, update, patch, delete, deletecollection,
// and the deployments/scale subresource.
#include <spdlog/spdlog.h>

#include "api_server.h"
#include "common/time_format.h"
#include "encoding.h"
#include "patch.h"
#include "rbac_objects.h"
#include "selectors.h"
#include "table_printer.h"

namespace mr::apiserver {

using json = nlohmann::json;

namespace {

std::vector<std::pair<std::string, std::string>> warningHeaders(
    const std::vector<std::string>& warnings) {
  std::vector<std::pair<std::string, std::string>> h;
  for (const auto& w : warnings)
    h.push_back({"Warning", "299 - " + json(w).dump()});
  return h;
}

std::optional<ApiError> parseBody(const HttpRequest& req, json& out) {
  const std::string& body = req.body;
  std::string ct = req.header("content-type");
  if (ct.find("protobuf") != std::string::npos || ct.find("cbor") != std::string::npos) {
    // Only JSON (and YAML) bodies are understood; client-go retries 415 with JSON.
    return errUnsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml");
  }
  out = json::parse(body, nullptr, false);
  if (out.is_discarded()) {
    Result<json> y = yamlToJson(body);
    if (!y.isOk())
      return errBadRequest("the body of the request could not be decoded: " + y.status().message());
    out = std::move(y.value());
  }
  if (!out.is_object()) return errBadRequest("the body of the request must be a JSON object");
  return std::nullopt;
}

// Checks kind/apiVersion against the URL and fills them in.
std::optional<ApiError> checkTypeMeta(const ResourceType& t, const std::string& version,
                                      json& obj) {
  std::string av = t.apiVersion(version);
  if (obj.contains("kind") && obj["kind"] != t.kind && obj["kind"] != "") {
    return errBadRequest("the kind in the body (" + obj["kind"].get<std::string>() +
                         ") does not match the expected kind (" + t.kind + ")");
  }
  if (obj.contains("apiVersion") && obj["apiVersion"] != av && obj["apiVersion"] != "") {
    return errBadRequest("the API version in the data (" + obj["apiVersion"].get<std::string>() +
                         ") does not match the expected API version (" + av + ")");
  }
  obj["apiVersion"] = av;
  obj["kind"] = t.kind;
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = json::object();
  return std::nullopt;
}

struct Selectors {
  LabelSelector labels;
  FieldSelector fields;
  bool match(const json& o) const {
    return labels.matches(o.value("metadata", json::object()).value("labels", json())) &&
           fields.matches(o);
  }
};

std::optional<ApiError> parseSelectors(const HttpRequest& req, Selectors& s) {
  Result<LabelSelector> l = LabelSelector::parse(req.param("labelSelector"));
  if (!l.isOk()) return errBadRequest("unable to parse requirement: " + l.status().message());
  Result<FieldSelector> f = FieldSelector::parse(req.param("fieldSelector"));
  if (!f.isOk()) return errBadRequest(f.status().message());
  s.labels = std::move(l.value());
  s.fields = std::move(f.value());
  return std::nullopt;
}

}  // namespace

void ApiServer::doGet(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w) {
  ObjPtr o = store_.get(ri.type->key(), ri.ns, ri.name);
  if (!o) return sendError(w, errNotFound(*ri.type, ri.name));
  if (wantsTable(req))
    return sendJson(w, 200, buildTable(*ri.type, ri.version, {o}, clock_.now(), true));
  sendJson(w, 200, forVersion(*ri.type, ri.version, o));
}

void ApiServer::doList(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w) {
  Selectors sel;
  if (auto err = parseSelectors(req, sel)) return sendError(w, *err);
  std::string after;
  if (std::string token = req.param("continue"); !token.empty()) {
    Result<std::string> raw = base64Decode(token);
    json t = raw.isOk() ? json::parse(raw.value(), nullptr, false) : json();
    if (!t.is_object() || !t.contains("start"))
      return sendError(w, errBadRequest("continue key is not valid: " + token));
    after = t["start"].get<std::string>();
  }
  size_t limit = static_cast<size_t>(std::max(0L, std::atol(req.param("limit", "0").c_str())));
  ListPage page =
      store_.list(ri.type->key(), ri.ns, after, limit, [&](const json& o) { return sel.match(o); });
  json meta = {{"resourceVersion", std::to_string(page.rv)}};
  if (!page.next_key.empty()) {
    meta["continue"] = base64Encode(json{{"rv", page.rv}, {"start", page.next_key}}.dump());
    meta["remainingItemCount"] = page.remaining;
  }
  if (wantsTable(req)) {
    json table = buildTable(*ri.type, ri.version, page.items, clock_.now(), true);
    table["metadata"] = meta;
    return sendJson(w, 200, table);
  }
  // Serialised by hand so 10k items are not copied into one json tree first.
  std::string out = "{\"kind\":" + json(ri.type->list_kind).dump() +
                    ",\"apiVersion\":" + json(ri.type->apiVersion(ri.version)).dump() +
                    ",\"metadata\":" + meta.dump() + ",\"items\":[";
  for (size_t i = 0; i < page.items.size(); ++i) {
    if (i) out += ',';
    out += forVersion(*ri.type, ri.version, page.items[i])
               .dump(-1, ' ', false, json::error_handler_t::replace);
  }
  out += "]}";
  w.send(200, "application/json", out);
}

void ApiServer::doCreate(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w) {
  const ResourceType& t = *ri.type;
  if (!ri.subresource.empty())
    return sendError(w, errMethodNotAllowed("create is not supported on subresources"));
  json obj;
  if (auto err = parseBody(req, obj)) return sendError(w, *err);
  if (auto err = checkTypeMeta(t, ri.version, obj)) return sendError(w, *err);
  json& md = obj["metadata"];
  std::string name = md.value("name", "");
  if (name.empty() && md.contains("generateName")) {
    name = md["generateName"].get<std::string>() + randomSuffix(5);
    md["name"] = name;
  }
  if (name.empty()) {
    return sendError(w, errInvalid(t, "",
                                   {{"metadata.name", "FieldValueRequired",
                                     "Required value: name or generateName is required"}}));
  }
  if (std::string bad = validateName(name, t.group == kRbacGroup); !bad.empty())
    return sendError(w, errInvalid(t, name, {{"metadata.name", "FieldValueInvalid", bad}}));
  if (t.namespaced) {
    if (ri.ns.empty()) return sendError(w, errUnknownPath());
    if (md.contains("namespace") && md["namespace"] != "" && md["namespace"] != ri.ns) {
      return sendError(w, errBadRequest("the namespace of the provided object does not match the "
                                        "namespace sent on the request"));
    }
    md["namespace"] = ri.ns;
    if (!store_.get("namespaces", "", ri.ns))
      return sendError(w, errNotFound(*registry_.findByKey("namespaces"), ri.ns));
  } else {
    md.erase("namespace");
  }
  std::vector<std::string> warnings;
  RuleContext ctx{t, ri.version, clock_.now(), parseFieldValidation(req.param("fieldValidation")),
                  &warnings};
  if (auto err = prepareCreate(ctx, obj)) return sendError(w, *err);
  if (req.hasParam("dryRun")) return sendJson(w, 201, obj, warningHeaders(warnings));
  std::optional<ApiError> err;
  Result<ObjPtr> stored =
      store_.mutate(t.key(), ri.ns, name, [&](const ObjPtr& cur) -> Result<Mutation> {
        if (cur) {
          err = errAlreadyExists(t, name);
          return Status(StatusCode::kAlreadyExists, "exists");
        }
        return Mutation{Mutation::Kind::kPut, obj};
      });
  if (!stored.isOk()) return sendError(w, err ? *err : errInternal(stored.status().message()));
  if (t.plural == "customresourcedefinitions" && t.group == "apiextensions.k8s.io") {
    if (auto rt = resourceTypeFromCrd(*stored.value()); rt.isOk()) registry_.add(rt.value());
  }
  sendJson(w, 201, forVersion(t, ri.version, stored.value()), warningHeaders(warnings));
}

Result<ObjPtr> ApiServer::writeObject(const RequestInfo& ri,
                                      const std::function<Result<json>(const ObjPtr&)>& desired,
                                      bool require_rv, bool allow_create, RuleContext& ctx,
                                      std::optional<ApiError>& err, bool dry_run, bool& created) {
  const ResourceType& t = *ri.type;
  bool status_only = ri.subresource == "status";
  bool finished_deletion = false;
  std::optional<json> dry_result;
  created = false;
  Result<ObjPtr> r =
      store_.mutate(t.key(), ri.ns, ri.name, [&](const ObjPtr& cur) -> Result<Mutation> {
        if (!cur && !allow_create) {
          err = errNotFound(t, ri.name);
          return notFound(ri.name);
        }
        Result<json> want = desired(cur);
        if (!want.isOk()) return want.status();
        json obj = std::move(want.value());
        if (!cur) {
          created = true;
          if (t.namespaced && !store_.get("namespaces", "", ri.ns)) {
            err = errNotFound(*registry_.findByKey("namespaces"), ri.ns);
            return notFound(ri.ns);
          }
          if (auto e = prepareCreate(ctx, obj)) {
            err = e;
            return invalidArgument("invalid");
          }
          if (dry_run) {
            dry_result = obj;
            return Mutation{};
          }
          return Mutation{Mutation::Kind::kPut, std::move(obj)};
        }
        std::string rv = obj["metadata"].value("resourceVersion", "");
        if (rv.empty() && require_rv) {
          err = errInvalid(t, ri.name,
                           {{"metadata.resourceVersion", "FieldValueInvalid",
                             "Invalid value: 0x0: must be specified for an update"}});
          return invalidArgument("rv");
        }
        if (!rv.empty() && rv != (*cur)["metadata"].value("resourceVersion", "")) {
          err = errConflict(t, ri.name);
          return Status(StatusCode::kConflict, "conflict");
        }
        bool changed = false;
        if (auto e = prepareUpdate(ctx, *cur, obj, status_only, changed)) {
          err = e;
          return invalidArgument("invalid");
        }
        if (dry_run) {
          dry_result = obj;
          return Mutation{};
        }
        if (!changed) return Mutation{};
        const json& md = obj["metadata"];
        if (md.contains("deletionTimestamp") &&
            (!md.contains("finalizers") || md["finalizers"].empty())) {
          finished_deletion = true;
          return Mutation{Mutation::Kind::kDelete, {}};
        }
        return Mutation{Mutation::Kind::kPut, std::move(obj)};
      });
  if (!r.isOk()) return r;
  if (dry_result) return ObjPtr(std::make_shared<const json>(std::move(*dry_result)));
  if (finished_deletion) {
    afterDelete(t, *r.value(), "Background");
  } else if (t.plural == "customresourcedefinitions" && t.group == "apiextensions.k8s.io") {
    if (auto rt = resourceTypeFromCrd(*r.value()); rt.isOk()) registry_.add(rt.value());
  }
  return r;
}

void ApiServer::doUpdate(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w) {
  json obj;
  if (auto err = parseBody(req, obj)) return sendError(w, *err);
  if (auto err = checkTypeMeta(*ri.type, ri.version, obj)) return sendError(w, *err);
  std::string body_name = obj["metadata"].value("name", "");
  if (body_name != ri.name) {
    return sendError(w, errBadRequest("the name of the object (" + body_name +
                                      ") does not match the name on the URL (" + ri.name + ")"));
  }
  if (ri.type->namespaced) obj["metadata"]["namespace"] = ri.ns;
  std::vector<std::string> warnings;
  RuleContext ctx{*ri.type, ri.version, clock_.now(),
                  parseFieldValidation(req.param("fieldValidation")), &warnings};
  std::optional<ApiError> err;
  bool created = false;
  Result<ObjPtr> r = writeObject(
      ri, [&](const ObjPtr&) -> Result<json> { return obj; }, ri.type->custom, false, ctx, err,
      req.hasParam("dryRun"), created);
  if (!r.isOk()) return sendError(w, err ? *err : errInternal(r.status().message()));
  sendJson(w, 200, forVersion(*ri.type, ri.version, r.value()), warningHeaders(warnings));
}

void ApiServer::doPatch(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w) {
  const ResourceType& t = *ri.type;
  std::string ct = req.header("content-type");
  ct = ct.substr(0, ct.find(';'));
  bool apply = ct == "application/apply-patch+yaml";
  bool known = ct == "application/json-patch+json" || ct == "application/merge-patch+json" ||
               apply || (ct == "application/strategic-merge-patch+json" && !t.custom);
  if (!known) {
    return sendError(
        w, errUnsupportedMediaType(
               "the body of the request was in an unknown format - accepted media types include: "
               "application/json-patch+json, application/merge-patch+json, "
               "application/apply-patch+yaml" +
               std::string(t.custom ? "" : ", application/strategic-merge-patch+json")));
  }
  if (apply && req.param("fieldManager").empty()) {
    return sendError(w, errBadRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: "
                                      "Required value: is required for apply patch"));
  }
  json patch;
  if (apply) {
    Result<json> y = yamlToJson(req.body);
    if (!y.isOk()) return sendError(w, errBadRequest(y.status().message()));
    patch = std::move(y.value());
  } else {
    patch = json::parse(req.body, nullptr, false);
    if (patch.is_discarded())
      return sendError(w, errBadRequest("error decoding patch: invalid JSON"));
  }
  std::vector<std::string> warnings;
  RuleContext ctx{t, ri.version, clock_.now(), parseFieldValidation(req.param("fieldValidation")),
                  &warnings};
  std::optional<ApiError> err;
  bool created = false;
  auto desired = [&](const ObjPtr& cur) -> Result<json> {
    if (!cur) {  // only apply patches create
      json obj = patch;
      if (auto e = checkTypeMeta(t, ri.version, obj)) {
        err = e;
        return invalidArgument("typemeta");
      }
      obj["metadata"]["name"] = ri.name;
      if (t.namespaced) obj["metadata"]["namespace"] = ri.ns;
      return obj;
    }
    json base = forVersion(t, ri.version, cur);
    Result<json> out = ct == "application/json-patch+json" ? applyJsonPatch(base, patch)
                       : ct == "application/strategic-merge-patch+json"
                           ? applyStrategicMergePatch(base, patch)
                           : applyMergePatch(base, patch);
    if (!out.isOk()) {
      err = out.status().httpCode() == 422
                ? ApiError{422, "Invalid", out.status().message(), nullptr, {}}
                : errBadRequest(out.status().message());
      return out.status();
    }
    if (!out.value().is_object() || !out.value().contains("metadata") ||
        !out.value()["metadata"].is_object()) {
      err = errBadRequest("the patched object is not a valid object");
      return invalidArgument("bad");
    }
    return out;
  };
  Result<ObjPtr> r =
      writeObject(ri, desired, false, apply, ctx, err, req.hasParam("dryRun"), created);
  if (!r.isOk()) return sendError(w, err ? *err : errInternal(r.status().message()));
  if (created && t.plural == "customresourcedefinitions" && t.group == "apiextensions.k8s.io") {
    if (auto rt = resourceTypeFromCrd(*r.value()); rt.isOk()) registry_.add(rt.value());
  }
  sendJson(w, created ? 201 : 200, forVersion(t, ri.version, r.value()), warningHeaders(warnings));
}

Result<ObjPtr> ApiServer::deleteObject(const ResourceType& t, const std::string& ns,
                                       const std::string& name, const json& options,
                                       std::optional<ApiError>& err, bool dry_run) {
  bool deleted = false;
  std::string policy = options.value("propagationPolicy", "");
  if (policy.empty() && options.value("orphanDependents", false)) policy = "Orphan";
  if (policy.empty()) policy = "Background";
  Result<ObjPtr> r = store_.mutate(t.key(), ns, name, [&](const ObjPtr& cur) -> Result<Mutation> {
    if (!cur) {
      err = errNotFound(t, name);
      return notFound(name);
    }
    const json& md = (*cur)["metadata"];
    json pre = options.value("preconditions", json::object());
    if (pre.contains("uid") && pre["uid"] != md.value("uid", "")) {
      err = ApiError{409,
                     "Conflict",
                     "Precondition failed: UID in precondition: " + pre["uid"].get<std::string>() +
                         ", UID in object meta: " + md.value("uid", ""),
                     nullptr,
                     {}};
      return Status(StatusCode::kConflict, "precondition");
    }
    if (pre.contains("resourceVersion") &&
        pre["resourceVersion"] != md.value("resourceVersion", "")) {
      err = ApiError{409,
                     "Conflict",
                     "Precondition failed: ResourceVersion in precondition: " +
                         pre["resourceVersion"].get<std::string>() +
                         ", ResourceVersion in object meta: " + md.value("resourceVersion", ""),
                     nullptr,
                     {}};
      return Status(StatusCode::kConflict, "precondition");
    }
    if (dry_run) return Mutation{};
    if (md.contains("finalizers") && md["finalizers"].is_array() && !md["finalizers"].empty()) {
      if (md.contains("deletionTimestamp")) return Mutation{};
      json next = *cur;
      next["metadata"]["deletionTimestamp"] = formatRfc3339(clock_.now());
      next["metadata"]["deletionGracePeriodSeconds"] = 0;
      next["metadata"]["generation"] = md.value("generation", 0) + 1;
      return Mutation{Mutation::Kind::kPut, std::move(next)};
    }
    deleted = true;
    return Mutation{Mutation::Kind::kDelete, {}};
  });
  if (r.isOk() && deleted) afterDelete(t, *r.value(), policy);
  return r;
}

void ApiServer::afterDelete(const ResourceType& t, const json& deleted, const std::string& policy) {
  const json& md = deleted["metadata"];
  enqueueGc(md.value("uid", ""), policy);
  std::optional<ApiError> ignored;
  if (t.plural == "customresourcedefinitions" && t.group == "apiextensions.k8s.io") {
    Result<ResourceTypePtr> rt = resourceTypeFromCrd(deleted);
    if (!rt.isOk()) return;
    ResourceTypePtr cr = registry_.findByKey(rt.value()->key());
    if (!cr) return;
    for (const auto& [ns, name] : store_.keysOf(cr->key())) {
      (void)store_.mutate(cr->key(), ns, name, [](const ObjPtr& cur) -> Result<Mutation> {
        if (!cur) return notFound("gone");
        return Mutation{Mutation::Kind::kDelete, {}};
      });
    }
    registry_.remove(cr->key());
  } else if (t.plural == "namespaces" && t.group.empty()) {
    std::string ns = md.value("name", "");
    for (const auto& type : registry_.all()) {
      if (!type->namespaced) continue;
      for (const auto& [ons, name] : store_.keysOf(type->key())) {
        if (ons != ns) continue;
        (void)store_.mutate(type->key(), ons, name, [](const ObjPtr& cur) -> Result<Mutation> {
          if (!cur) return notFound("gone");
          return Mutation{Mutation::Kind::kDelete, {}};
        });
      }
    }
  }
}

void ApiServer::doDelete(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w) {
  json options = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
  if (!options.is_object()) return sendError(w, errBadRequest("invalid DeleteOptions body"));
  if (req.hasParam("propagationPolicy"))
    options["propagationPolicy"] = req.param("propagationPolicy");
  bool dry_run = req.hasParam("dryRun") || options.contains("dryRun");
  std::optional<ApiError> err;
  Result<ObjPtr> r = deleteObject(*ri.type, ri.ns, ri.name, options, err, dry_run);
  if (!r.isOk()) return sendError(w, err ? *err : errInternal(r.status().message()));
  sendJson(w, 200, forVersion(*ri.type, ri.version, r.value()));
}

void ApiServer::doDeleteCollection(const HttpRequest& req, const RequestInfo& ri,
                                   ResponseWriter& w) {
  Selectors sel;
  if (auto err = parseSelectors(req, sel)) return sendError(w, *err);
  json options = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
  if (!options.is_object()) options = json::object();
  ListPage page =
      store_.list(ri.type->key(), ri.ns, "", 0, [&](const json& o) { return sel.match(o); });
  json items = json::array();
  for (const auto& o : page.items) {
    std::optional<ApiError> err;
    const json& md = (*o)["metadata"];
    Result<ObjPtr> r = deleteObject(*ri.type, md.value("namespace", ""), md.value("name", ""),
                                    options, err, req.hasParam("dryRun"));
    if (r.isOk()) items.push_back(forVersion(*ri.type, ri.version, r.value()));
  }
  sendJson(w, 200,
           {{"kind", ri.type->list_kind},
            {"apiVersion", ri.type->apiVersion(ri.version)},
            {"metadata", {{"resourceVersion", std::to_string(store_.currentRv())}}},
            {"items", items}});
}

namespace {

// ".spec.replicas" -> /spec/replicas (kube's splitReplicasPath).
json::json_pointer scalePath(const std::string& path) {
  std::string ptr;
  for (char c : path)
    ptr += c == '.' ? '/' : c;
  return json::json_pointer(ptr);
}

std::int64_t nestedInt(const json& obj, const std::string& path) {
  if (path.empty()) return 0;
  const auto ptr = scalePath(path);
  return obj.contains(ptr) && obj.at(ptr).is_number_integer() ? obj.at(ptr).get<std::int64_t>() : 0;
}

}  // namespace

// As kube-apiserver: custom resources publish the values at their CRD's
// subresources.scale paths (apiextensions-apiserver scaleFromCustomResource); Deployments their
// spec.replicas, status.replicas and spec.selector.
void ApiServer::doScale(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w) {
  const ServedVersion& sv = *ri.type->version(ri.version);
  auto selectorOf = [&](const json& d) {
    if (ri.type->custom) {
      if (sv.label_selector_path.empty()) return std::string();
      const auto ptr = scalePath(sv.label_selector_path);
      return d.contains(ptr) && d.at(ptr).is_string() ? d.at(ptr).get<std::string>()
                                                      : std::string();
    }
    json labels = d.value("spec", json::object())
                      .value("selector", json::object())
                      .value("matchLabels", json::object());
    std::string sel;
    for (auto it = labels.begin(); it != labels.end(); ++it)
      sel += (sel.empty() ? "" : ",") + it.key() + "=" + it->get<std::string>();
    return sel;
  };
  auto toScale = [&](const json& d) {
    const json& md = d["metadata"];
    const std::int64_t spec_replicas = ri.type->custom
                                           ? nestedInt(d, sv.spec_replicas_path)
                                           : d.value("spec", json::object()).value("replicas", 1);
    return json{
        {"kind", "Scale"},
        {"apiVersion", "autoscaling/v1"},
        {"metadata",
         {{"name", md.value("name", "")},
          {"namespace", md.value("namespace", "")},
          {"uid", md.value("uid", "")},
          {"resourceVersion", md.value("resourceVersion", "")},
          {"creationTimestamp", md.value("creationTimestamp", "")}}},
        {"spec", {{"replicas", spec_replicas}}},
        {"status",
         {{"replicas", nestedInt(d, sv.status_replicas_path)}, {"selector", selectorOf(d)}}}};
  };
  if (ri.verb == "get") {
    ObjPtr o = store_.get(ri.type->key(), ri.ns, ri.name);
    if (!o) return sendError(w, errNotFound(*ri.type, ri.name));
    return sendJson(w, 200, toScale(*o));
  }
  if (ri.verb != "update" && ri.verb != "patch")
    return sendError(w, errMethodNotAllowed("scale supports get, update, patch"));
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return sendError(w, errBadRequest("invalid body"));
  std::string ct = req.header("content-type");
  std::optional<ApiError> err;
  RuleContext ctx{*ri.type, ri.version, clock_.now()};
  RequestInfo main = ri;
  main.subresource.clear();
  bool created = false;
  Result<ObjPtr> r = writeObject(
      main,
      [&](const ObjPtr& cur) -> Result<json> {
        json scale = toScale(*cur);
        Result<json> next = ri.verb == "update" ? Result<json>(body)
                            : ct.find("json-patch") != std::string::npos
                                ? applyJsonPatch(scale, body)
                                : applyMergePatch(scale, body);
        if (!next.isOk()) {
          err = errBadRequest(next.status().message());
          return next.status();
        }
        json obj = *cur;
        const json scale_spec = next.value().value("spec", json::object());
        const json replicas =
            scale_spec.is_object() ? scale_spec.value("replicas", json()) : json();
        if (!replicas.is_number_integer()) {
          err = errBadRequest("the spec replicas field \"" + sv.spec_replicas_path +
                              "\" cannot be empty");
          return invalidArgument("no spec.replicas in the Scale");
        }
        obj[scalePath(sv.spec_replicas_path)] = replicas;
        std::string rv = next.value()["metadata"].value("resourceVersion", "");
        obj["metadata"]["resourceVersion"] =
            rv.empty() ? (*cur)["metadata"]["resourceVersion"] : json(rv);
        return obj;
      },
      false, false, ctx, err, req.hasParam("dryRun"), created);
  if (!r.isOk()) return sendError(w, err ? *err : errInternal(r.status().message()));
  sendJson(w, 200, toScale(*r.value()));
}

}  // namespace mr::apiserver
