#include "object_rules.h"

#include <spdlog/spdlog.h>

#include <atomic>

#include "cel_rules.h"
#include "common/time_format.h"
#include "encoding.h"
#include "rbac_objects.h"
#include "scale_validation.h"
#include "schema_validator.h"

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

bool hasStatusSubresource(const RuleContext& ctx) {
  const ServedVersion* v = ctx.type.version(ctx.version);
  return v && v->status_subresource;
}

// The fields whose change bumps metadata.generation.
json specPart(const json& obj, bool status_split) {
  json copy = obj;
  copy.erase("metadata");
  if (status_split) copy.erase("status");
  copy.erase("apiVersion");
  copy.erase("kind");
  return copy;
}

// kube-apiserver evaluates every CEL rule; this server only its subset (cel_subset.h). A rule
// outside it is not an error here (kube-apiserver would accept a valid one), but the CRD is
// then not fully validated: say so in the log and to the client (a Warning header).
void reportUnsupportedRules(const RuleContext& ctx, const json& crd) {
  const std::string name = crd["metadata"].value("name", "");
  const json versions = crd["spec"].value("versions", json::array());
  for (size_t i = 0; i < versions.size(); ++i) {
    const json schema =
        versions[i].value("schema", json::object()).value("openAPIV3Schema", json());
    for (const std::string& rule : unsupportedRules(schema)) {
      std::string text = "CustomResourceDefinition " + name;
      text += ": not evaluated by the test API server (outside its CEL subset): spec.versions[";
      text += std::to_string(i) + "].schema.";
      text += rule;
      spdlog::warn("{}", text);
      if (ctx.warnings) ctx.warnings->push_back(text);
    }
  }
}

std::string nextClusterIp() {
  static std::atomic<uint32_t> next{10};
  uint32_t n = next++;
  return "10.96." + std::to_string((n >> 8) & 0xff) + "." + std::to_string(n & 0xff);
}

void defaultPodSpec(json& spec) {
  if (!spec.is_object()) return;
  if (!spec.contains("restartPolicy")) spec["restartPolicy"] = "Always";
  if (!spec.contains("terminationGracePeriodSeconds")) spec["terminationGracePeriodSeconds"] = 30;
  if (!spec.contains("dnsPolicy")) spec["dnsPolicy"] = "ClusterFirst";
  if (!spec.contains("schedulerName")) spec["schedulerName"] = "default-scheduler";
  if (!spec.contains("securityContext")) spec["securityContext"] = json::object();
  for (const char* list : {"containers", "initContainers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (auto& c : spec[list]) {
      if (!c.is_object()) continue;
      std::string image = c.value("image", "");
      bool latest = image.find(':') == std::string::npos || image.ends_with(":latest");
      if (!c.contains("imagePullPolicy")) c["imagePullPolicy"] = latest ? "Always" : "IfNotPresent";
      if (!c.contains("terminationMessagePath"))
        c["terminationMessagePath"] = "/dev/termination-log";
      if (!c.contains("terminationMessagePolicy")) c["terminationMessagePolicy"] = "File";
      if (!c.contains("resources")) c["resources"] = json::object();
      if (c.contains("ports") && c["ports"].is_array()) {
        for (auto& p : c["ports"]) {
          if (p.is_object() && !p.contains("protocol")) p["protocol"] = "TCP";
        }
      }
    }
  }
}

std::vector<FieldError> defaultBuiltin(const RuleContext& ctx, json& obj, const json* old) {
  std::vector<FieldError> errs;
  const std::string& p = ctx.type.plural;
  json& md = obj["metadata"];
  if (p == "namespaces") {
    md["labels"]["kubernetes.io/metadata.name"] = md.value("name", "");
    if (!obj.contains("spec")) obj["spec"] = {{"finalizers", {"kubernetes"}}};
    if (!obj.contains("status") || !obj["status"].contains("phase"))
      obj["status"] = {{"phase", "Active"}};
  } else if (p == "services") {
    json& spec = obj["spec"];
    if (!spec.contains("type")) spec["type"] = "ClusterIP";
    if (!spec.contains("sessionAffinity")) spec["sessionAffinity"] = "None";
    std::string old_ip = old ? old->value("spec", json::object()).value("clusterIP", "") : "";
    if (!spec.contains("clusterIP") || spec["clusterIP"] == "") {
      spec["clusterIP"] = old_ip.empty() ? nextClusterIp() : old_ip;
    } else if (old && !old_ip.empty() && spec["clusterIP"] != old_ip) {
      errs.push_back({"spec.clusterIPs[0]", "FieldValueInvalid",
                      "Invalid value: " + spec["clusterIP"].dump() + ": may not change once set"});
    }
    spec["clusterIPs"] = json::array({spec["clusterIP"]});
    if (!spec.contains("ipFamilies")) spec["ipFamilies"] = {"IPv4"};
    if (!spec.contains("ipFamilyPolicy")) spec["ipFamilyPolicy"] = "SingleStack";
    if (!spec.contains("internalTrafficPolicy")) spec["internalTrafficPolicy"] = "Cluster";
    if (spec.contains("ports") && spec["ports"].is_array()) {
      for (auto& port : spec["ports"]) {
        if (!port.is_object()) continue;
        if (!port.contains("protocol")) port["protocol"] = "TCP";
        if (!port.contains("targetPort") && port.contains("port"))
          port["targetPort"] = port["port"];
      }
    }
    if (!obj.contains("status")) obj["status"] = {{"loadBalancer", json::object()}};
  } else if (p == "deployments") {
    json& spec = obj["spec"];
    if (!spec.contains("replicas")) spec["replicas"] = 1;
    if (!spec.contains("revisionHistoryLimit")) spec["revisionHistoryLimit"] = 10;
    if (!spec.contains("progressDeadlineSeconds")) spec["progressDeadlineSeconds"] = 600;
    if (!spec.contains("strategy")) {
      spec["strategy"] = {{"type", "RollingUpdate"},
                          {"rollingUpdate", {{"maxSurge", "25%"}, {"maxUnavailable", "25%"}}}};
    }
    if (spec.contains("template") && spec["template"].is_object()) {
      defaultPodSpec(spec["template"]["spec"]);
      if (!spec["template"].contains("metadata")) spec["template"]["metadata"] = json::object();
      if (!spec["template"]["metadata"].contains("creationTimestamp"))
        spec["template"]["metadata"]["creationTimestamp"] = nullptr;
    }
    json selector = spec.value("selector", json());
    if (!selector.is_object() || selector.empty()) {
      errs.push_back({"spec.selector", "FieldValueRequired", "Required value"});
    } else {
      json labels = spec.value("template", json::object())
                        .value("metadata", json::object())
                        .value("labels", json::object());
      const json match = selector.value("matchLabels", json::object());
      for (auto it = match.begin(); it != match.end(); ++it) {
        if (!labels.contains(it.key()) || labels[it.key()] != it.value()) {
          errs.push_back({"spec.template.metadata.labels", "FieldValueInvalid",
                          "Invalid value: " + labels.dump() +
                              ": `selector` does not match template `labels`"});
          break;
        }
      }
      if (old && old->contains("spec") && (*old)["spec"].value("selector", json()) != selector) {
        errs.push_back({"spec.selector", "FieldValueInvalid",
                        "Invalid value: " + selector.dump() + ": field is immutable"});
      }
    }
    if (!spec.contains("template") ||
        !spec["template"].value("spec", json::object()).contains("containers")) {
      errs.push_back({"spec.template.spec.containers", "FieldValueRequired", "Required value"});
    }
  } else if (p == "secrets") {
    if (!obj.contains("type")) obj["type"] = "Opaque";
    if (obj.contains("stringData") && obj["stringData"].is_object()) {
      for (auto it = obj["stringData"].begin(); it != obj["stringData"].end(); ++it) {
        obj["data"][it.key()] = base64Encode(it->is_string() ? it->get<std::string>() : it->dump());
      }
      obj.erase("stringData");
    }
  } else if (ctx.type.group == kRbacGroup) {
    // SetDefaults_RoleBinding/Subject: roleRef and User/Group subjects in the rbac group.
    if (obj.contains("roleRef") && obj["roleRef"].is_object() &&
        obj["roleRef"].value("apiGroup", json("")) == json(""))
      obj["roleRef"]["apiGroup"] = kRbacGroup;
    if (obj.contains("subjects") && obj["subjects"].is_array()) {
      for (auto& s : obj["subjects"]) {
        if (!s.is_object() || s.contains("apiGroup")) continue;
        json kind = s.value("kind", json(""));
        if (kind == "User" || kind == "Group") s["apiGroup"] = kRbacGroup;
        if (kind == "ServiceAccount") s["apiGroup"] = "";
      }
    }
    std::vector<FieldError> rbac = validateRbac(p, obj, old);
    errs.insert(errs.end(), rbac.begin(), rbac.end());
  } else if (p == "customresourcedefinitions") {
    json& spec = obj["spec"];
    if (!spec.contains("conversion")) spec["conversion"] = {{"strategy", "None"}};
    Result<ResourceTypePtr> rt = resourceTypeFromCrd(obj);
    if (!rt.isOk()) {
      const std::string m = rt.status().message();
      size_t colon = m.find(": ");
      errs.push_back({m.substr(0, colon), "FieldValueInvalid",
                      colon == std::string::npos ? m : m.substr(colon + 2)});
      return errs;
    }
    reportUnsupportedRules(ctx, obj);
    json names = spec["names"];
    if (!names.contains("singular")) names["singular"] = rt.value()->singular;
    if (!names.contains("listKind")) names["listKind"] = rt.value()->list_kind;
    std::string ts = formatRfc3339(ctx.now);
    json stored = old ? old->value("status", json::object()).value("storedVersions", json::array())
                      : json::array();
    std::string storage = rt.value()->storageVersion().name;
    if (std::find(stored.begin(), stored.end(), storage) == stored.end()) stored.push_back(storage);
    json old_conditions =
        old ? old->value("status", json::object()).value("conditions", json()) : json();
    obj["status"] = {{"acceptedNames", names},
                     {"storedVersions", stored},
                     {"conditions", old_conditions.is_array()
                                        ? old_conditions
                                        : json{{{"type", "NamesAccepted"},
                                                {"status", "True"},
                                                {"reason", "NoConflicts"},
                                                {"message", "no conflicts found"},
                                                {"lastTransitionTime", ts}},
                                               {{"type", "Established"},
                                                {"status", "True"},
                                                {"reason", "InitialNamesAccepted"},
                                                {"message", "the initial names have been accepted"},
                                                {"lastTransitionTime", ts}}}}};
  }
  return errs;
}

std::optional<ApiError> validateCustom(const RuleContext& ctx, json& obj, const json* old) {
  const ServedVersion* v = ctx.type.version(ctx.version);
  SchemaOutcome out = validateCustomResource(obj, v ? v->schema : json(), old, [&](const json& o) {
    return v ? validateScalePaths(o, *v) : std::vector<FieldError>{};
  });
  if (ctx.warnings)
    ctx.warnings->insert(ctx.warnings->end(), out.warnings.begin(), out.warnings.end());
  if (!out.unknown_fields.empty()) {
    if (ctx.field_validation == FieldValidation::kStrict) {
      std::string list;
      for (const auto& f : out.unknown_fields)
        list += (list.empty() ? "" : ", ") + std::string("unknown field \"") + f + "\"";
      return errBadRequest(ctx.type.kind + " in version \"" + ctx.version +
                           "\" cannot be handled as a " + ctx.type.kind +
                           ": strict decoding error: " + list);
    }
    if (ctx.field_validation == FieldValidation::kWarn && ctx.warnings) {
      for (const auto& f : out.unknown_fields)
        ctx.warnings->push_back("unknown field \"" + f + "\"");
    }
  }
  if (!out.errors.empty())
    return errInvalid(ctx.type, obj["metadata"].value("name", ""), out.errors);
  return std::nullopt;
}

std::optional<ApiError> finish(const RuleContext& ctx, json& obj, const json* old) {
  if (ctx.type.custom) return validateCustom(ctx, obj, old);
  std::vector<FieldError> errs = defaultBuiltin(ctx, obj, old);
  if (!errs.empty()) return errInvalid(ctx.type, obj["metadata"].value("name", ""), errs);
  return std::nullopt;
}

}  // namespace

FieldValidation parseFieldValidation(const std::string& v) {
  if (v == "Strict") return FieldValidation::kStrict;
  if (v == "Ignore") return FieldValidation::kIgnore;
  return FieldValidation::kWarn;
}

std::string validateName(const std::string& name, bool path_segment) {
  if (name.empty()) return "";
  if (path_segment) {
    if (name == "." || name == "..")
      return "Invalid value: \"" + name + "\": may not be '" + name + "'";
    for (const char* bad : {"/", "%"}) {
      if (name.find(bad) != std::string::npos)
        return "Invalid value: \"" + name + "\": may not contain '" + bad + "'";
    }
    return "";
  }
  bool ok = name.size() <= 253 && std::isalnum(static_cast<unsigned char>(name.front())) &&
            std::isalnum(static_cast<unsigned char>(name.back()));
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.'))
      ok = false;
  }
  if (ok) return "";
  return "Invalid value: \"" + name +
         "\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
         "'-' or '.', and must start and end with an alphanumeric character";
}

std::optional<ApiError> prepareCreate(const RuleContext& ctx, json& obj) {
  json& md = obj["metadata"];
  md["uid"] = randomUuid();
  md["creationTimestamp"] = formatRfc3339(ctx.now);
  md["generation"] = 1;
  md.erase("resourceVersion");
  md.erase("deletionTimestamp");
  md.erase("deletionGracePeriodSeconds");
  md.erase("selfLink");
  if (hasStatusSubresource(ctx)) obj.erase("status");
  return finish(ctx, obj, nullptr);
}

std::optional<ApiError> prepareUpdate(const RuleContext& ctx, const json& old, json& obj,
                                      bool status_only, bool& changed) {
  bool split = hasStatusSubresource(ctx);
  json next;
  if (status_only) {
    next = old;
    if (obj.contains("status")) {
      next["status"] = obj["status"];
    } else {
      next.erase("status");
    }
  } else {
    next = std::move(obj);
    json& md = next["metadata"];
    const json& omd = old["metadata"];
    for (const char* k : {"uid", "creationTimestamp", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "namespace", "name", "generation"}) {
      if (omd.contains(k)) {
        md[k] = omd[k];
      } else {
        md.erase(k);
      }
    }
    if (split) {
      if (old.contains("status")) {
        next["status"] = old["status"];
      } else {
        next.erase("status");
      }
    }
  }
  next["apiVersion"] = old.value("apiVersion", json());
  if (auto err = finish(ctx, next, &old)) return err;
  if (!status_only && specPart(next, split) != specPart(old, split)) {
    next["metadata"]["generation"] = old["metadata"].value("generation", 0) + 1;
  }
  json a = next, b = old;
  a["metadata"].erase("resourceVersion");
  b["metadata"].erase("resourceVersion");
  changed = a != b;
  obj = std::move(next);
  return std::nullopt;
}

}  // namespace mr::apiserver
