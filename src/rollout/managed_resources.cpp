#include "rollout/managed_resources.h"

#include "rollout/merge_patch.h"

namespace mr::rollout {
namespace {

Json ownedLabels(const std::string& rollout, std::optional<Role> role,
                 const std::string& revision) {
  Json labels = {{kLabelRollout, rollout}};
  if (role) labels[kLabelRole] = roleName(*role);
  if (!revision.empty()) labels[kLabelRevision] = revision;
  return labels;
}

Json baseObject(const char* api_version, const char* kind, const std::string& name,
                const Owner& owner, const Json& labels) {
  return {{"apiVersion", api_version},
          {"kind", kind},
          {"metadata",
           {{"name", name},
            {"namespace", owner.namespace_name},
            {"labels", labels},
            {"ownerReferences", Json::array({ownerReference(owner)})}}}};
}

Json servicePorts(const ModelRolloutSpec& spec) {
  Json target = spec.service.target_port_name.empty() ? Json(spec.service.target_port)
                                                      : Json(spec.service.target_port_name);
  return Json::array({{{"name", "http"},
                       {"port", spec.service.port},
                       {"targetPort", target},
                       {"protocol", "TCP"}}});
}

// Adds to `patch` whatever makes live's modelrollout.io/* labels and our ownerReference match.
void patchOwnedMetadata(const Json& live, const Json& desired, Json& patch) {
  const Json live_labels = live.value("/metadata/labels"_json_pointer, Json::object());
  const Json& want_labels = desired["metadata"]["labels"];
  for (const char* key : {kLabelRollout, kLabelRole, kLabelRevision}) {
    const bool want = want_labels.contains(key);
    const bool have = live_labels.contains(key);
    if (want && (!have || live_labels[key] != want_labels[key])) {
      patch["metadata"]["labels"][key] = want_labels[key];
    } else if (!want && have) {
      patch["metadata"]["labels"][key] = nullptr;
    }
  }
  const Json& ours = desired["metadata"]["ownerReferences"][0];
  const Json live_refs = live.value("/metadata/ownerReferences"_json_pointer, Json::array());
  Json refs = Json::array();
  bool found = false;
  for (const auto& ref : live_refs) {
    if (ref.value("uid", "") == ours["uid"]) {
      if (found || ref != ours) continue;  // replaced below
      found = true;
    }
    refs.push_back(ref);
  }
  if (!found) {
    refs.push_back(ours);
    // Merge patch replaces lists whole, so the other owners' entries are sent back unchanged.
    patch["metadata"]["ownerReferences"] = refs;
  }
}

std::optional<Json> nonEmpty(Json patch) {
  if (patch.empty()) return std::nullopt;
  return patch;
}

}  // namespace

const char* roleName(Role role) {
  return role == Role::kStable ? "stable" : "canary";
}

std::string deploymentName(const std::string& rollout, Role role) {
  return rollout + "-" + roleName(role);
}
std::string serviceName(const std::string& rollout, Role role) {
  return rollout + "-" + roleName(role);
}
std::string rootServiceName(const std::string& rollout) {
  return rollout;
}

Json ownerReference(const Owner& owner) {
  return {{"apiVersion", kApiVersion}, {"kind", kKind},      {"name", owner.name},
          {"uid", owner.uid},          {"controller", true}, {"blockOwnerDeletion", true}};
}

Json buildDeployment(const Owner& owner, const ModelRolloutSpec& spec, Role role,
                     const Json& pod_template, int replicas, const std::string& revision) {
  Json obj = baseObject("apps/v1", "Deployment", deploymentName(owner.name, role), owner,
                        ownedLabels(owner.name, role, revision));
  Json selector = spec.selector.is_object() ? spec.selector : Json::object();
  selector["matchLabels"][kLabelRollout] = owner.name;
  selector["matchLabels"][kLabelRole] = roleName(role);
  Json tmpl = pod_template;
  const Json labels = ownedLabels(owner.name, role, revision);
  for (auto& [k, v] : labels.items()) {
    tmpl["metadata"]["labels"][k] = v;
  }
  obj["spec"] = {{"replicas", replicas}, {"selector", selector}, {"template", tmpl}};
  return obj;
}

Json buildService(const Owner& owner, const ModelRolloutSpec& spec, Role role,
                  const std::string& revision) {
  Json obj = baseObject("v1", "Service", serviceName(owner.name, role), owner,
                        ownedLabels(owner.name, role, ""));
  obj["spec"] = {{"selector", ownedLabels(owner.name, role, revision)},
                 {"ports", servicePorts(spec)}};
  return obj;
}

Json buildRootService(const Owner& owner, const ModelRolloutSpec& spec) {
  Json obj = baseObject("v1", "Service", rootServiceName(owner.name), owner,
                        ownedLabels(owner.name, std::nullopt, ""));
  obj["spec"] = {{"selector", ownedLabels(owner.name, std::nullopt, "")},
                 {"ports", servicePorts(spec)}};
  return obj;
}

std::string adoptionRefusal(const Json& live, const Owner& owner, const std::string& what) {
  const Json refs = live.value("/metadata/ownerReferences"_json_pointer, Json::array());
  const Json* controller = nullptr;
  for (const auto& ref : refs) {
    if (!ref.is_object()) continue;
    if (ref.value("uid", "") == owner.uid) return "";
    if (ref.value("controller", false)) controller = &ref;
  }
  if (controller) {
    return what + " is controlled by " + controller->value("kind", "?") + " " +
           controller->value("name", "?") +
           "; the controller does not take it over (delete or rename it)";
  }
  const Json annotations = live.value("/metadata/annotations"_json_pointer, Json::object());
  const auto adopt =
      annotations.is_object() ? annotations.find(kAnnotationAdopt) : annotations.end();
  if (adopt != annotations.end() && adopt->is_string() && *adopt == "true") return "";
  return what + " exists and was not created for ModelRollout " + owner.name + "; annotate it " +
         kAnnotationAdopt + "=true to let the controller adopt it";
}

std::optional<Json> deploymentPatch(const Json& live, const Json& desired) {
  Json patch = Json::object();
  patchOwnedMetadata(live, desired, patch);
  const Json& want = desired["spec"];
  if (live.value("/spec/replicas"_json_pointer, Json()) != want["replicas"]) {
    patch["spec"]["replicas"] = want["replicas"];
  }
  const auto rev = "/spec/template/metadata/labels/modelrollout.io~1revision"_json_pointer;
  if (live.value(rev, Json()) != desired.value(rev, Json())) {
    Json diff = createMergePatch(live.value("/spec/template"_json_pointer, Json::object()),
                                 want["template"]);
    if (!diff.empty()) patch["spec"]["template"] = diff;
  }
  return nonEmpty(std::move(patch));
}

std::optional<Json> servicePatch(const Json& live, const Json& desired) {
  Json patch = Json::object();
  patchOwnedMetadata(live, desired, patch);
  const Json& want = desired["spec"];
  const Json live_selector = live.value("/spec/selector"_json_pointer, Json::object());
  if (live_selector != want["selector"]) {
    patch["spec"]["selector"] = createMergePatch(live_selector, want["selector"]);
  }
  // The server fills in defaults (nodePort, appProtocol...), so compare only what we set.
  const Json live_ports = live.value("/spec/ports"_json_pointer, Json::array());
  bool ports_match = live_ports.is_array() && live_ports.size() == want["ports"].size();
  for (size_t i = 0; ports_match && i < live_ports.size(); ++i) {
    for (auto& [k, v] : want["ports"][i].items()) {
      if (live_ports[i].value(k, Json()) != v) ports_match = false;
    }
  }
  if (!ports_match) patch["spec"]["ports"] = want["ports"];
  return nonEmpty(std::move(patch));
}

Json scalePatch(int replicas) {
  return {{"spec", {{"replicas", replicas}}}};
}

}  // namespace mr::rollout
