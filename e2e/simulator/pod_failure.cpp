#include "e2e/simulator/pod_failure.h"

namespace mr::sim {

using Json = nlohmann::json;

namespace {

const Json& firstContainer(const Json& pod_template) {
  static const Json kEmpty = Json::object();
  const Json* containers = nullptr;
  if (pod_template.is_object() && pod_template.contains("spec") &&
      pod_template["spec"].is_object() && pod_template["spec"].contains("containers")) {
    containers = &pod_template["spec"]["containers"];
  }
  if (!containers || !containers->is_array() || containers->empty()) return kEmpty;
  return (*containers)[0];
}

std::string envValue(const Json& pod_template, const char* name) {
  if (!pod_template.is_object() || !pod_template.contains("spec")) return "";
  const Json& spec = pod_template["spec"];
  if (!spec.is_object() || !spec.contains("containers") || !spec["containers"].is_array()) {
    return "";
  }
  for (const auto& container : spec["containers"]) {
    for (const auto& var : container.value("env", Json::array())) {
      if (var.value("name", "") == name && var.contains("value") && var["value"].is_string()) {
        return var["value"].get<std::string>();
      }
    }
  }
  return "";
}

Json condition(const char* type, bool status, const std::string& now) {
  return {{"type", type}, {"status", status ? "True" : "False"}, {"lastTransitionTime", now}};
}

}  // namespace

const char* podFailureName(PodFailure f) {
  switch (f) {
    case PodFailure::kNone:
      return "";
    case PodFailure::kCrashLoopBackOff:
      return "CrashLoopBackOff";
    case PodFailure::kImagePullBackOff:
      return "ImagePullBackOff";
    case PodFailure::kUnschedulable:
      return "Unschedulable";
    case PodFailure::kOOMKilled:
      return "OOMKilled";
  }
  return "";
}

Result<PodFailure> parsePodFailure(const Json& pod_template) {
  const std::string value = envValue(pod_template, "SIM_POD_FAILURE");
  if (value.empty()) return PodFailure::kNone;
  for (PodFailure f : {PodFailure::kCrashLoopBackOff, PodFailure::kImagePullBackOff,
                       PodFailure::kUnschedulable, PodFailure::kOOMKilled}) {
    if (value == podFailureName(f)) return f;
  }
  return invalidArgument("SIM_POD_FAILURE=\"" + value +
                         "\": use CrashLoopBackOff, ImagePullBackOff, Unschedulable or OOMKilled");
}

Json failingPod(const Json& deployment, const std::string& pod_name) {
  const Json meta = deployment.value("metadata", Json::object());
  const Json pod_template = deployment.value("spec", Json::object()).value("template", Json());
  Json labels = pod_template.is_object()
                    ? pod_template.value("metadata", Json::object()).value("labels", Json::object())
                    : Json::object();
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata",
               {{"name", pod_name},
                {"namespace", meta.value("namespace", "")},
                {"labels", labels},
                {"ownerReferences", Json::array({{{"apiVersion", "apps/v1"},
                                                  {"kind", "Deployment"},
                                                  {"name", meta.value("name", "")},
                                                  {"uid", meta.value("uid", "")}}})}}},
              {"spec", pod_template.is_object() ? pod_template.value("spec", Json::object())
                                                : Json::object()}};
  return pod;
}

Json failingPodStatus(PodFailure failure, const Json& pod_template, const std::string& pod_name,
                      const std::string& now) {
  const Json& container = firstContainer(pod_template);
  const std::string name = container.value("name", "server");
  const std::string image = container.value("image", "");
  if (failure == PodFailure::kUnschedulable) {
    Json scheduled = condition("PodScheduled", false, now);
    scheduled["reason"] = "Unschedulable";
    scheduled["message"] =
        "0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are "
        "available: 3 No preemption victims found for incoming pod.";
    return {{"phase", "Pending"}, {"conditions", Json::array({scheduled})}};
  }
  Json cs = {{"name", name}, {"image", image}, {"ready", false}, {"started", false}};
  std::string phase = "Running";
  if (failure == PodFailure::kImagePullBackOff) {
    phase = "Pending";
    cs["restartCount"] = 0;
    cs["state"] = {{"waiting",
                    {{"reason", "ImagePullBackOff"},
                     {"message", "Back-off pulling image \"" + image + "\""}}}};
  } else {
    const bool oom = failure == PodFailure::kOOMKilled;
    cs["restartCount"] = 4;
    cs["state"] = {
        {"waiting",
         {{"reason", "CrashLoopBackOff"},
          {"message", "back-off 1m20s restarting failed container=" + name + " pod=" + pod_name}}}};
    cs["lastState"] = {{"terminated",
                        {{"reason", oom ? "OOMKilled" : "Error"},
                         {"exitCode", oom ? 137 : 1},
                         {"finishedAt", now}}}};
  }
  Json ready = condition("Ready", false, now);
  ready["reason"] = "ContainersNotReady";
  ready["message"] = "containers with unready status: [" + name + "]";
  return {{"phase", phase},
          {"conditions", Json::array({condition("PodScheduled", true, now), ready})},
          {"containerStatuses", Json::array({cs})}};
}

}  // namespace mr::sim
