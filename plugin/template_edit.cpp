#include "plugin/template_edit.h"

#include "rollout/modelrollout_types.h"
#include "rollout/template_hash.h"

namespace mr::plugin {
namespace {

using Json = nlohmann::json;

// Kubernetes' defaults for fields of a PodTemplateSpec (SetDefaults_PodSpec/_Container).
void dropDefaults(Json& obj, const Json& hint,
                  const std::vector<std::pair<std::string, Json>>& defaults) {
  if (!obj.is_object()) return;
  for (const auto& [field, value] : defaults) {
    const auto it = obj.find(field);
    if (it == obj.end() || *it != value) continue;
    if (hint.is_object() && hint.contains(field)) continue;  // the user spells it out
    obj.erase(it);
  }
}

std::string defaultPullPolicy(const std::string& image) {
  const size_t slash = image.rfind('/');
  const std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
  if (last.find('@') != std::string::npos) return "IfNotPresent";
  const size_t colon = last.rfind(':');
  if (colon == std::string::npos || last.substr(colon + 1) == "latest") return "Always";
  return "IfNotPresent";
}

const Json& byName(const Json& list, const std::string& name) {
  static const Json kNull;
  if (!list.is_array()) return kNull;
  for (const Json& item : list) {
    if (item.is_object() && item.value("name", "") == name) return item;
  }
  return kNull;
}

void dropContainerDefaults(Json& containers, const Json& hints) {
  if (!containers.is_array()) return;
  for (Json& c : containers) {
    if (!c.is_object()) continue;
    const Json& hint = byName(hints, c.value("name", ""));
    dropDefaults(c, hint,
                 {{"terminationMessagePath", "/dev/termination-log"},
                  {"terminationMessagePolicy", "File"},
                  {"imagePullPolicy", defaultPullPolicy(c.value("image", ""))},
                  {"resources", Json::object()}});
    if (auto ports = c.find("ports"); ports != c.end() && ports->is_array()) {
      const Json hint_ports = hint.is_object() ? hint.value("ports", Json::array()) : Json::array();
      for (size_t i = 0; i < ports->size(); ++i) {
        const Json port_hint = i < hint_ports.size() ? hint_ports[i] : Json();
        dropDefaults((*ports)[i], port_hint, {{"protocol", "TCP"}});
      }
    }
  }
}

Json withoutServerDefaults(Json tmpl, const Json& hint) {
  if (auto md = tmpl.find("metadata"); md != tmpl.end() && md->is_object()) {
    if (auto ts = md->find("creationTimestamp"); ts != md->end() && ts->is_null()) md->erase(ts);
  }
  const Json hint_spec = hint.is_object() ? hint.value("spec", Json::object()) : Json::object();
  if (auto spec = tmpl.find("spec"); spec != tmpl.end() && spec->is_object()) {
    dropDefaults(*spec, hint_spec,
                 {{"restartPolicy", "Always"},
                  {"dnsPolicy", "ClusterFirst"},
                  {"schedulerName", "default-scheduler"},
                  {"terminationGracePeriodSeconds", 30},
                  {"securityContext", Json::object()},
                  {"enableServiceLinks", true}});
    for (const char* list : {"containers", "initContainers"}) {
      if (auto c = spec->find(list); c != spec->end()) {
        dropContainerDefaults(*c, hint_spec.value(list, Json::array()));
      }
    }
  }
  return tmpl;
}

}  // namespace

Result<std::pair<Json, bool>> setImages(
    Json rollout, const std::vector<std::pair<std::string, std::string>>& images) {
  Json* pod_spec = nullptr;
  if (rollout.contains("/spec/template/spec"_json_pointer)) {
    pod_spec = &rollout["spec"]["template"]["spec"];
  }
  if (pod_spec == nullptr || !pod_spec->is_object()) {
    return invalidArgument("the ModelRollout has no spec.template.spec");
  }
  bool changed = false;
  for (const auto& [container, image] : images) {
    bool found = false;
    std::string names;
    for (const char* list : {"containers", "initContainers"}) {
      auto it = pod_spec->find(list);
      if (it == pod_spec->end() || !it->is_array()) continue;
      for (Json& c : *it) {
        if (!c.is_object()) continue;
        const std::string name = c.value("name", "");
        names += (names.empty() ? "" : ", ") + name;
        if (container != "*" && name != container) continue;
        found = true;
        if (c.value("image", "") != image) {
          c["image"] = image;
          changed = true;
        }
      }
    }
    if (!found) {
      return notFound("container \"" + container + "\" not found in the template (containers: " +
                      (names.empty() ? "none" : names) + ")");
    }
  }
  return std::pair<Json, bool>(std::move(rollout), changed);
}

Result<Json> stableTemplate(const Json& rollout, const Json& stable_deployment) {
  const std::string name = rollout.value("/metadata/name"_json_pointer, std::string());
  const std::string uid = rollout.value("/metadata/uid"_json_pointer, std::string());
  const std::string stable = rollout.value("/status/stableRevision"_json_pointer, std::string());
  const std::string what =
      "Deployment " + stable_deployment.value("/metadata/name"_json_pointer, std::string("?"));
  if (stable.empty()) return invalidArgument("no stable revision recorded in status yet");
  bool owned = false;
  for (const Json& ref :
       stable_deployment.value("/metadata/ownerReferences"_json_pointer, Json::array())) {
    if (ref.is_object() && ref.value("kind", "") == "ModelRollout" &&
        ref.value("name", "") == name && (uid.empty() || ref.value("uid", "") == uid)) {
      owned = true;
    }
  }
  if (!owned) return invalidArgument(what + " is not owned by ModelRollout " + name);
  Json tmpl = stable_deployment.value("/spec/template"_json_pointer, Json::object());
  const std::string at =
      tmpl.value("/metadata/labels/modelrollout.io~1revision"_json_pointer, std::string());
  if (at != stable) {
    return invalidArgument(what + " runs revision " + (at.empty() ? "?" : at) +
                           ", not the stable revision " + stable +
                           " (a promotion is under way); nothing changed");
  }
  if (auto labels = tmpl.find("metadata"); labels != tmpl.end() && labels->contains("labels")) {
    Json& l = (*labels)["labels"];
    for (const char* k : {rollout::kLabelRollout, rollout::kLabelRole, rollout::kLabelRevision}) {
      l.erase(k);
    }
    if (l.empty()) labels->erase("labels");
  }
  if (rollout::podTemplateHash(tmpl) == stable) return tmpl;
  Json trimmed =
      withoutServerDefaults(tmpl, rollout.value("/spec/template"_json_pointer, Json::object()));
  if (rollout::podTemplateHash(trimmed) == stable) return trimmed;
  trimmed = withoutServerDefaults(tmpl, Json::object());
  if (rollout::podTemplateHash(trimmed) == stable) return trimmed;
  return invalidArgument("cannot rebuild the template of stable revision " + stable + " from " +
                         what +
                         " (its template has fields the API server added); nothing "
                         "changed. Restore spec.template from Git or your last manifest.");
}

}  // namespace mr::plugin
