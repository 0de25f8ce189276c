#include "rbac_objects.h"

#include <algorithm>

namespace mr::apiserver {

using json = nlohmann::json;

namespace {

json meta(const std::string& name, json labels = json::object()) {
  labels["kubernetes.io/bootstrapping"] = "rbac-defaults";
  return {{"name", name},
          {"labels", labels},
          {"annotations", {{"rbac.authorization.kubernetes.io/autoupdate", "true"}}}};
}

json clusterRole(const std::string& name, json rules, json labels = json::object()) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRole"},
          {"metadata", meta(name, std::move(labels))},
          {"rules", std::move(rules)}};
}

json aggregator(const std::string& name, const std::string& to, json labels = json::object()) {
  json r = clusterRole(name, json::array(), std::move(labels));
  r["aggregationRule"] = {
      {"clusterRoleSelectors",
       {{{"matchLabels", {{"rbac.authorization.k8s.io/aggregate-to-" + to, "true"}}}}}}};
  return r;
}

json groupBinding(const std::string& name, const std::vector<std::string>& groups) {
  json subjects = json::array();
  for (const auto& g : groups)
    subjects.push_back({{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Group"}, {"name", g}});
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRoleBinding"},
          {"metadata", meta(name)},
          {"roleRef",
           {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", name}}},
          {"subjects", subjects}};
}

json rule(json groups, json resources, json verbs) {
  return {{"apiGroups", std::move(groups)},
          {"resources", std::move(resources)},
          {"verbs", std::move(verbs)}};
}

const json kRead = {"get", "list", "watch"};
const json kWrite = {"create", "delete", "deletecollection", "patch", "update"};

bool isStringArray(const json& j) {
  return j.is_array() &&
         std::all_of(j.begin(), j.end(), [](const json& v) { return v.is_string(); });
}

bool nonEmptyArray(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_array() && !it->empty();
}

std::string quoted(const json& v) {
  return v.dump();
}

}  // namespace

std::vector<std::pair<std::string, json>> bootstrapRbac() {
  const json discovery_urls = {"/api",     "/api/*",   "/apis",    "/apis/*",
                               "/healthz", "/livez",   "/openapi", "/openapi/*",
                               "/readyz",  "/version", "/version/"};
  const json public_urls = {"/healthz", "/livez", "/readyz", "/version", "/version/"};
  // A reduced system:aggregate-to-* set covering the kinds this server serves.
  json view_rules = json::array(
      {rule({""}, {"configmaps", "pods", "serviceaccounts", "services", "events"}, kRead),
       rule({""}, {"namespaces"}, kRead),
       rule({"apps"}, {"deployments", "deployments/scale"}, kRead),
       rule({"coordination.k8s.io"}, {"leases"}, kRead)});
  json edit_rules = json::array(
      {rule({""}, {"configmaps", "pods", "secrets", "serviceaccounts", "services"}, kWrite),
       rule({""}, {"secrets"}, kRead), rule({""}, {"serviceaccounts/token"}, {"create"}),
       rule({"apps"}, {"deployments", "deployments/scale"}, kWrite)});
  json admin_rules = json::array(
      {rule({"rbac.authorization.k8s.io"}, {"rolebindings", "roles"},
            {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"})});
  return {
      {"clusterroles",
       clusterRole("cluster-admin", json::array({rule({"*"}, {"*"}, {"*"}),
                                                 {{"nonResourceURLs", {"*"}}, {"verbs", {"*"}}}}))},
      {"clusterroles",
       clusterRole("system:discovery",
                   json::array({{{"nonResourceURLs", discovery_urls}, {"verbs", {"get"}}}}))},
      {"clusterroles",
       clusterRole("system:public-info-viewer",
                   json::array({{{"nonResourceURLs", public_urls}, {"verbs", {"get"}}}}))},
      {"clusterroles", aggregator("admin", "admin")},
      {"clusterroles",
       aggregator("edit", "edit", {{"rbac.authorization.k8s.io/aggregate-to-admin", "true"}})},
      {"clusterroles",
       aggregator("view", "view", {{"rbac.authorization.k8s.io/aggregate-to-edit", "true"}})},
      {"clusterroles", clusterRole("system:aggregate-to-admin", admin_rules,
                                   {{"rbac.authorization.k8s.io/aggregate-to-admin", "true"}})},
      {"clusterroles", clusterRole("system:aggregate-to-edit", edit_rules,
                                   {{"rbac.authorization.k8s.io/aggregate-to-edit", "true"}})},
      {"clusterroles", clusterRole("system:aggregate-to-view", view_rules,
                                   {{"rbac.authorization.k8s.io/aggregate-to-view", "true"}})},
      {"clusterrolebindings",
       [] {
         json b = groupBinding("cluster-admin", {"system:masters"});
         return b;
       }()},
      {"clusterrolebindings", groupBinding("system:discovery", {"system:authenticated"})},
      {"clusterrolebindings", groupBinding("system:public-info-viewer",
                                           {"system:authenticated", "system:unauthenticated"})},
  };
}

std::optional<LabelSelector> labelSelectorFromJson(const json& selector) {
  if (!selector.is_object()) return std::nullopt;
  std::string text;
  auto add = [&](const std::string& req) { text += (text.empty() ? "" : ",") + req; };
  if (auto it = selector.find("matchLabels"); it != selector.end()) {
    if (!it->is_object()) return std::nullopt;
    for (auto kv = it->begin(); kv != it->end(); ++kv) {
      if (!kv->is_string()) return std::nullopt;
      add(kv.key() + "=" + kv->get<std::string>());
    }
  }
  if (auto it = selector.find("matchExpressions"); it != selector.end()) {
    if (!it->is_array()) return std::nullopt;
    for (const auto& e : *it) {
      if (!e.is_object() || !e.contains("key") || !e["key"].is_string()) return std::nullopt;
      std::string key = e["key"].get<std::string>();
      std::string op = e.value("operator", "");
      std::string values;
      if (e.contains("values")) {
        if (!isStringArray(e["values"])) return std::nullopt;
        for (const auto& v : e["values"])
          values += (values.empty() ? "" : ",") + v.get<std::string>();
      }
      if (op == "In") {
        add(key + " in (" + values + ")");
      } else if (op == "NotIn") {
        add(key + " notin (" + values + ")");
      } else if (op == "Exists") {
        add(key);
      } else if (op == "DoesNotExist") {
        add("!" + key);
      } else {
        return std::nullopt;
      }
    }
  }
  Result<LabelSelector> parsed = LabelSelector::parse(text);
  if (!parsed.isOk()) return std::nullopt;
  return std::move(parsed.value());
}

std::optional<json> aggregatedRules(const json& role, const std::vector<json>& cluster_roles) {
  auto agg = role.find("aggregationRule");
  if (agg == role.end() || !agg->is_object()) return std::nullopt;
  const std::string self = role.value("metadata", json::object()).value("name", "");
  std::vector<const json*> sorted;
  for (const auto& r : cluster_roles)
    sorted.push_back(&r);
  auto name = [](const json* r) { return r->value("metadata", json::object()).value("name", ""); };
  std::sort(sorted.begin(), sorted.end(),
            [&](const json* a, const json* b) { return name(a) < name(b); });
  json rules = json::array();
  auto selectors = agg->value("clusterRoleSelectors", json::array());
  if (!selectors.is_array()) return rules;
  for (const auto& s : selectors) {
    std::optional<LabelSelector> sel = labelSelectorFromJson(s);
    if (!sel) continue;
    for (const json* r : sorted) {
      if (name(r) == self) continue;
      if (!sel->matches(r->value("metadata", json::object()).value("labels", json()))) continue;
      const json own = r->value("rules", json::array());
      if (!own.is_array()) continue;
      for (const auto& rule : own) {
        if (std::find(rules.begin(), rules.end(), rule) == rules.end()) rules.push_back(rule);
      }
    }
  }
  return rules;
}

std::vector<FieldError> validateRbac(const std::string& plural, const json& obj, const json* old) {
  std::vector<FieldError> errs;
  if (plural == "roles" || plural == "clusterroles") {
    const json rules = obj.value("rules", json::array());
    if (!rules.is_array()) {
      errs.push_back({"rules", "FieldValueInvalid", "Invalid value: must be a list"});
      return errs;
    }
    for (size_t i = 0; i < rules.size(); ++i) {
      const json& r = rules[i];
      std::string f = "rules[" + std::to_string(i) + "]";
      if (!r.is_object()) {
        errs.push_back({f, "FieldValueInvalid", "Invalid value: must be an object"});
        continue;
      }
      for (const char* k :
           {"verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"}) {
        if (r.contains(k) && !isStringArray(r[k]))
          errs.push_back({f + "." + k, "FieldValueInvalid", "Invalid value: must be strings"});
      }
      if (!nonEmptyArray(r, "verbs"))
        errs.push_back({f + ".verbs", "FieldValueRequired",
                        "Required value: verbs must contain at least one value"});
      bool urls = nonEmptyArray(r, "nonResourceURLs");
      bool resources = nonEmptyArray(r, "resources");
      if (urls && plural == "roles") {
        errs.push_back({f + ".nonResourceURLs", "FieldValueInvalid",
                        "Invalid value: " + quoted(r["nonResourceURLs"]) +
                            ": namespaced rules cannot apply to non-resource URLs"});
      } else if (urls && (resources || nonEmptyArray(r, "apiGroups"))) {
        errs.push_back(
            {f + ".nonResourceURLs", "FieldValueInvalid",
             "Invalid value: " + quoted(r["nonResourceURLs"]) +
                 ": rules cannot apply to both regular resources and non-resource URLs"});
      } else if (!urls) {
        if (!nonEmptyArray(r, "resources"))
          errs.push_back({f + ".resources", "FieldValueRequired",
                          "Required value: resource rules must supply at least one resource"});
        if (!nonEmptyArray(r, "apiGroups"))
          errs.push_back({f + ".apiGroups", "FieldValueRequired",
                          "Required value: resource rules must supply at least one api group"});
      }
    }
    return errs;
  }
  // Bindings.
  const json ref = obj.value("roleRef", json());
  std::string kind = ref.is_object() ? ref.value("kind", "") : "";
  std::string name = ref.is_object() ? ref.value("name", "") : "";
  if (!ref.is_object() || name.empty()) {
    errs.push_back({"roleRef.name", "FieldValueRequired", "Required value"});
  }
  if (plural == "clusterrolebindings" && kind != "ClusterRole") {
    errs.push_back(
        {"roleRef.kind", "FieldValueNotSupported",
         "Unsupported value: " + json(kind).dump() + ": supported values: \"ClusterRole\""});
  } else if (plural == "rolebindings" && kind != "Role" && kind != "ClusterRole") {
    errs.push_back({"roleRef.kind", "FieldValueNotSupported",
                    "Unsupported value: " + json(kind).dump() +
                        ": supported values: \"Role\", \"ClusterRole\""});
  }
  if (ref.is_object() && ref.value("apiGroup", "") != kRbacGroup) {
    errs.push_back({"roleRef.apiGroup", "FieldValueNotSupported",
                    "Unsupported value: " + json(ref.value("apiGroup", "")).dump() +
                        ": supported values: \"rbac.authorization.k8s.io\""});
  }
  if (old && old->value("roleRef", json()) != ref) {
    errs.push_back({"roleRef", "FieldValueInvalid",
                    "Invalid value: " + ref.dump() + ": cannot change roleRef"});
  }
  const json subjects = obj.value("subjects", json::array());
  if (subjects.is_array()) {
    for (size_t i = 0; i < subjects.size(); ++i) {
      const json& s = subjects[i];
      std::string f = "subjects[" + std::to_string(i) + "]";
      std::string sk = s.is_object() ? s.value("kind", "") : "";
      if (!s.is_object() || s.value("name", "").empty())
        errs.push_back({f + ".name", "FieldValueRequired", "Required value"});
      if (sk != "User" && sk != "Group" && sk != "ServiceAccount")
        errs.push_back({f + ".kind", "FieldValueNotSupported",
                        "Unsupported value: " + json(sk).dump() +
                            ": supported values: \"ServiceAccount\", \"User\", \"Group\""});
      if (sk == "ServiceAccount" && plural == "clusterrolebindings" &&
          s.value("namespace", "").empty())
        errs.push_back({f + ".namespace", "FieldValueRequired", "Required value"});
    }
  }
  return errs;
}

}  // namespace mr::apiserver
