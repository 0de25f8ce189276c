// PodFailure: how the pods of one pod template fail, read from the env var SIM_POD_FAILURE of
// its containers (like the SIM_* behaviour variables): CrashLoopBackOff, ImagePullBackOff,
// Unschedulable or OOMKilled; unset or empty = the pods become ready. Such pods never become
// ready, and the simulator writes Pod objects whose status says why, the way the scheduler
// (PodScheduled=False Unschedulable) and the kubelet (containerStatuses: waiting reasons,
// lastState.terminated OOMKilled / Error) report it.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace mr::sim {

enum class PodFailure { kNone, kCrashLoopBackOff, kImagePullBackOff, kUnschedulable, kOOMKilled };

const char* podFailureName(PodFailure f);
// InvalidArgument for an unknown value (the caller warns and treats it as kNone).
Result<PodFailure> parsePodFailure(const nlohmann::json& pod_template);

// A Pod of Deployment `deployment` (metadata: name, namespace, labels of the template, an
// owner reference to the Deployment so deleting it removes the pod) without status.
nlohmann::json failingPod(const nlohmann::json& deployment, const std::string& pod_name);
// The status the scheduler/kubelet would write for `failure` (REQUIRES: not kNone).
nlohmann::json failingPodStatus(PodFailure failure, const nlohmann::json& pod_template,
                                const std::string& pod_name, const std::string& now_rfc3339);

}  // namespace mr::sim
