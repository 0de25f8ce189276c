#include "resource_registry.h"

#include <algorithm>
#include <mutex>

namespace mr::apiserver {
namespace {

ResourceTypePtr builtin(std::string group, std::string version, std::string plural,
                        std::string singular, std::string kind, bool namespaced,
                        std::vector<std::string> short_names, std::vector<std::string> categories,
                        bool status) {
  auto t = std::make_shared<ResourceType>();
  t->group = std::move(group);
  t->plural = std::move(plural);
  t->singular = std::move(singular);
  t->kind = kind;
  t->list_kind = kind + "List";
  t->namespaced = namespaced;
  t->short_names = std::move(short_names);
  t->categories = std::move(categories);
  ServedVersion v;
  v.name = std::move(version);
  v.storage = true;
  v.status_subresource = status;
  v.scale_subresource = t->plural == "deployments";
  v.token_subresource = t->plural == "serviceaccounts";
  if (v.scale_subresource) {
    v.spec_replicas_path = ".spec.replicas";
    v.status_replicas_path = ".status.replicas";
  }
  t->versions.push_back(std::move(v));
  return t;
}

std::vector<std::string> strings(const json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& s : j) {
      if (s.is_string()) out.push_back(s.get<std::string>());
    }
  }
  return out;
}

}  // namespace

const ServedVersion* ResourceType::version(const std::string& v) const {
  for (const auto& sv : versions) {
    if (sv.name == v) return &sv;
  }
  return nullptr;
}

const ServedVersion& ResourceType::storageVersion() const {
  for (const auto& sv : versions) {
    if (sv.storage) return sv;
  }
  return versions.front();
}

ResourceRegistry::ResourceRegistry() {
  add(builtin("", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}, {}, true));
  add(builtin("", "v1", "services", "service", "Service", true, {"svc"}, {"all"}, true));
  add(builtin("", "v1", "pods", "pod", "Pod", true, {"po"}, {"all"}, true));
  add(builtin("", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}, {}, false));
  add(builtin("", "v1", "secrets", "secret", "Secret", true, {}, {}, false));
  add(builtin("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"}, {},
              false));
  add(builtin("", "v1", "events", "event", "Event", true, {"ev"}, {}, false));
  add(builtin("apps", "v1", "deployments", "deployment", "Deployment", true, {"deploy"}, {"all"},
              true));
  add(builtin("events.k8s.io", "v1", "events", "event", "Event", true, {"ev"}, {}, false));
  add(builtin("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, {}, {}, false));
  const std::string rbac = "rbac.authorization.k8s.io";
  add(builtin(rbac, "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false,
              {}, {}, false));
  add(builtin(rbac, "v1", "clusterroles", "clusterrole", "ClusterRole", false, {}, {}, false));
  add(builtin(rbac, "v1", "rolebindings", "rolebinding", "RoleBinding", true, {}, {}, false));
  add(builtin(rbac, "v1", "roles", "role", "Role", true, {}, {}, false));
  add(builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
              "CustomResourceDefinition", false, {"crd", "crds"}, {"api-extensions"}, true));
}

ResourceTypePtr ResourceRegistry::find(const std::string& group, const std::string& version,
                                       const std::string& plural) const {
  std::shared_lock lock(mu_);
  auto it = by_key_.find(group.empty() ? plural : plural + "." + group);
  if (it == by_key_.end() || !it->second->version(version)) return nullptr;
  return it->second;
}

ResourceTypePtr ResourceRegistry::findByKey(const std::string& key) const {
  std::shared_lock lock(mu_);
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

std::vector<ResourceTypePtr> ResourceRegistry::all() const {
  std::shared_lock lock(mu_);
  std::vector<ResourceTypePtr> out;
  for (const auto& k : order_)
    out.push_back(by_key_.at(k));
  return out;
}

std::vector<std::pair<std::string, std::vector<std::string>>> ResourceRegistry::groups() const {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& t : all()) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.first == t->group; });
    if (it == out.end()) {
      out.push_back({t->group, {}});
      it = out.end() - 1;
    }
    for (const auto& v : t->versions) {
      if (std::find(it->second.begin(), it->second.end(), v.name) == it->second.end()) {
        it->second.push_back(v.name);
      }
    }
  }
  return out;
}

void ResourceRegistry::add(ResourceTypePtr type) {
  std::unique_lock lock(mu_);
  std::string key = type->key();
  if (!by_key_.count(key)) order_.push_back(key);
  by_key_[key] = std::move(type);
  ++generation_;
}

void ResourceRegistry::remove(const std::string& key) {
  std::unique_lock lock(mu_);
  if (by_key_.erase(key)) {
    order_.erase(std::remove(order_.begin(), order_.end(), key), order_.end());
    ++generation_;
  }
}

uint64_t ResourceRegistry::generation() const {
  std::shared_lock lock(mu_);
  return generation_;
}

Result<ResourceTypePtr> resourceTypeFromCrd(const json& crd) {
  const json spec = crd.value("spec", json::object());
  const json names = spec.value("names", json::object());
  auto t = std::make_shared<ResourceType>();
  t->custom = true;
  t->group = spec.value("group", "");
  t->plural = names.value("plural", "");
  t->kind = names.value("kind", "");
  t->singular = names.value("singular", "");
  if (t->singular.empty()) {
    t->singular = t->kind;
    std::transform(t->singular.begin(), t->singular.end(), t->singular.begin(), ::tolower);
  }
  t->list_kind = names.value("listKind", t->kind + "List");
  t->namespaced = spec.value("scope", "Namespaced") == "Namespaced";
  t->short_names = strings(names.value("shortNames", json::array()));
  t->categories = strings(names.value("categories", json::array()));
  if (t->group.empty()) return invalidArgument("spec.group: Required value");
  if (t->plural.empty()) return invalidArgument("spec.names.plural: Required value");
  if (t->kind.empty()) return invalidArgument("spec.names.kind: Required value");
  std::string want_name = t->plural + "." + t->group;
  std::string name = crd.value("metadata", json::object()).value("name", "");
  if (name != want_name) {
    return invalidArgument("metadata.name: Invalid value: \"" + name +
                           "\": must be spec.names.plural+\".\"+spec.group");
  }
  int storage_count = 0;
  const json versions = spec.value("versions", json::array());
  for (size_t i = 0; i < versions.size(); ++i) {
    const json& v = versions[i];
    if (v.value("storage", false)) ++storage_count;
    if (!v.value("served", true)) continue;
    ServedVersion sv;
    sv.name = v.value("name", "");
    sv.storage = v.value("storage", false);
    sv.schema = v.value("schema", json::object()).value("openAPIV3Schema", json());
    const json subs = v.value("subresources", json::object());
    sv.status_subresource = subs.contains("status");
    sv.scale_subresource = subs.contains("scale");
    if (sv.scale_subresource) {
      const json scale = subs["scale"].is_object() ? subs["scale"] : json::object();
      sv.spec_replicas_path = scale.value("specReplicasPath", "");
      sv.status_replicas_path = scale.value("statusReplicasPath", "");
      sv.label_selector_path = scale.value("labelSelectorPath", "");
      const std::string where = "spec.versions[" + std::to_string(i) + "].subresources.scale.";
      for (const auto& [field, path] : {std::pair{"specReplicasPath", sv.spec_replicas_path},
                                        std::pair{"statusReplicasPath", sv.status_replicas_path}}) {
        if (path.empty()) return invalidArgument(where + field + ": Required value");
      }
      auto under = [](const std::string& path, const char* prefix) {
        return path.rfind(prefix, 0) == 0;
      };
      if (!under(sv.spec_replicas_path, ".spec.")) {
        return invalidArgument(where + "specReplicasPath: Invalid value: \"" +
                               sv.spec_replicas_path + "\": should be a json path under .spec");
      }
      if (!under(sv.status_replicas_path, ".status.")) {
        return invalidArgument(where + "statusReplicasPath: Invalid value: \"" +
                               sv.status_replicas_path + "\": should be a json path under .status");
      }
      if (!sv.label_selector_path.empty() && !under(sv.label_selector_path, ".spec.") &&
          !under(sv.label_selector_path, ".status.")) {
        return invalidArgument(where + "labelSelectorPath: Invalid value: \"" +
                               sv.label_selector_path +
                               "\": should be a json path under either .spec or .status");
      }
    }
    for (const auto& c : v.value("additionalPrinterColumns", json::array())) {
      PrinterColumn pc;
      pc.name = c.value("name", "");
      pc.type = c.value("type", "string");
      pc.format = c.value("format", "");
      pc.description = c.value("description", "");
      pc.json_path = c.value("jsonPath", "");
      pc.priority = c.value("priority", 0);
      sv.columns.push_back(std::move(pc));
    }
    t->versions.push_back(std::move(sv));
  }
  if (versions.empty())
    return invalidArgument(
        "spec.versions: Invalid value: []: must have exactly one version marked as storage "
        "version");
  if (storage_count != 1)
    return invalidArgument(
        "spec.versions: Invalid value: must have exactly one version marked as storage version");
  if (t->versions.empty()) return invalidArgument("spec.versions: no served versions");
  // Kubernetes orders versions by "kube-aware" priority (GA > beta > alpha, higher first).
  auto rank = [](const std::string& v) {
    int level = 3;
    size_t num_end = 1;
    while (num_end < v.size() && std::isdigit(static_cast<unsigned char>(v[num_end])))
      ++num_end;
    int major = std::atoi(v.c_str() + 1);
    int minor = 0;
    if (v.compare(num_end, 5, "alpha") == 0) {
      level = 1;
      minor = std::atoi(v.c_str() + num_end + 5);
    } else if (v.compare(num_end, 4, "beta") == 0) {
      level = 2;
      minor = std::atoi(v.c_str() + num_end + 4);
    } else if (num_end != v.size() || v.empty() || v[0] != 'v') {
      level = 0;
    }
    return std::tuple(level, major, minor);
  };
  std::stable_sort(
      t->versions.begin(), t->versions.end(),
      [&](const ServedVersion& a, const ServedVersion& b) { return rank(a.name) > rank(b.name); });
  return ResourceTypePtr(t);
}

}  // namespace mr::apiserver
