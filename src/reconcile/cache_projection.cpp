#include "reconcile/cache_projection.h"

#include <initializer_list>

#include "common/json_read.h"

namespace mr::reconcile {

using nlohmann::json;

namespace {

// Copies the named members of `from` that exist into a new object.
json pick(const json& from, std::initializer_list<const char*> names) {
  json out = json::object();
  if (!from.is_object()) return out;
  for (const char* name : names) {
    if (auto it = from.find(name); it != from.end()) out[name] = *it;
  }
  return out;
}

json projectMetadata(const json& object) {
  return pick(jsonObject(object, "metadata"),
              {"name", "namespace", "uid", "resourceVersion", "generation", "labels", "annotations",
               "ownerReferences", "deletionTimestamp", "finalizers"});
}

json projectDeployment(const json& object) {
  json out = pick(object, {"apiVersion", "kind"});
  out["metadata"] = projectMetadata(object);
  const json& spec = jsonObject(object, "spec");
  json projected_spec = pick(spec, {"replicas"});
  // The template's labels carry the revision; its spec (containers...) is never read from the
  // cache.
  if (auto tmpl = spec.find("template"); tmpl != spec.end() && tmpl->is_object()) {
    if (auto meta = tmpl->find("metadata"); meta != tmpl->end()) {
      projected_spec["template"]["metadata"] = pick(*meta, {"labels", "annotations"});
    }
  }
  out["spec"] = std::move(projected_spec);
  if (auto status = object.find("status"); status != object.end()) {
    out["status"] = pick(*status, {"observedGeneration", "replicas", "readyReplicas",
                                   "availableReplicas", "updatedReplicas"});
    // Only conditions that say something is wrong (not_ready_reason.h): a healthy Deployment
    // keeps none, so the cache does not grow with condition churn.
    json failing = json::array();
    for (const auto& c : status->value("conditions", json::array())) {
      const std::string type = c.value("type", ""), st = c.value("status", "");
      if ((type == "ReplicaFailure" && st == "True") || (type == "Progressing" && st == "False")) {
        failing.push_back(pick(c, {"type", "status", "reason", "message"}));
      }
    }
    if (!failing.empty()) out["status"]["conditions"] = std::move(failing);
  }
  return out;
}

json projectService(const json& object) {
  json out = pick(object, {"apiVersion", "kind"});
  out["metadata"] = projectMetadata(object);
  out["spec"] = pick(jsonObject(object, "spec"), {"selector", "ports"});
  return out;
}

}  // namespace

json projectForCache(const k8s::ResourceType& type, json object) {
  if (!object.is_object()) return object;
  if (type == k8s::resources::deployments()) return projectDeployment(object);
  if (type == k8s::resources::services()) return projectService(object);
  return object;
}

}  // namespace mr::reconcile
