#include "reconcile/not_ready_reason.h"

#include <spdlog/spdlog.h>

namespace mr::reconcile {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxMessage = 160;

std::string clip(std::string s) {
  if (s.size() > kMaxMessage) s = s.substr(0, kMaxMessage) + "...";
  return s;
}

std::string withMessage(const std::string& reason, const json& from) {
  const std::string message = from.value("message", "");
  return message.empty() ? reason : reason + ": " + clip(message);
}

const json& member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

// One container status: what keeps it from being ready, "" if nothing known.
std::string containerReason(const json& cs) {
  const std::string name = cs.value("name", "");
  const json& last = member(member(cs, "lastState"), "terminated");
  if (last.is_object() && last.value("reason", "") == "OOMKilled") {
    return "OOMKilled: container " + name + " was killed for exceeding its memory limit (" +
           std::to_string(cs.value("restartCount", 0)) + " restarts)";
  }
  const json& waiting = member(member(cs, "state"), "waiting");
  const std::string reason = waiting.is_object() ? waiting.value("reason", "") : "";
  if (reason.empty() || reason == "ContainerCreating" || reason == "PodInitializing") return "";
  std::string out = reason + ": container " + name;
  if (const std::string m = waiting.value("message", ""); !m.empty()) out += ": " + clip(m);
  if (last.is_object() && !last.value("reason", "").empty()) {
    out += " (last exit: " + last.value("reason", "") + ", code " +
           std::to_string(last.value("exitCode", 0)) + ")";
  }
  return out;
}

std::string podReason(const json& pod) {
  const json& status = member(pod, "status");
  const json& conditions = member(status, "conditions");
  if (conditions.is_array()) {
    for (const auto& c : conditions) {
      if (c.value("type", "") == "PodScheduled" && c.value("status", "") == "False") {
        return withMessage(c.value("reason", "Unschedulable"), c);
      }
    }
  }
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const json& statuses = member(status, list);
    if (!statuses.is_array()) continue;
    for (const auto& cs : statuses) {
      if (std::string r = containerReason(cs); !r.empty()) return r;
    }
  }
  return "";
}

}  // namespace

std::string deploymentNotReadyReason(const json& deployment) {
  const json& conditions = member(member(deployment, "status"), "conditions");
  if (!conditions.is_array()) return "";
  for (const auto& c : conditions) {
    const std::string type = c.value("type", "");
    const std::string status = c.value("status", "");
    if ((type == "ReplicaFailure" && status == "True") ||
        (type == "Progressing" && status == "False")) {
      return withMessage(c.value("reason", type), c);
    }
  }
  return "";
}

std::string podsNotReadyReason(const json& pod_list) {
  const json& items = member(pod_list, "items");
  if (!items.is_array()) return "";
  std::string first;
  int same = 0;
  for (const auto& pod : items) {
    const std::string r = podReason(pod);
    if (r.empty()) continue;
    if (first.empty()) first = r;
    if (r == first) ++same;
  }
  if (first.empty() || items.size() < 2) return first;
  return first + " (" + std::to_string(same) + " of " + std::to_string(items.size()) + " pods)";
}

const k8s::ResourceType& podsResource() {
  static const k8s::ResourceType type{"", "v1", "pods", "Pod", true};
  return type;
}

std::string PodReasonReader::read(const std::string& ns, const std::string& rollout,
                                  const std::string& role, const std::string& revision,
                                  std::optional<SystemTime> passed_deadline) {
  const std::string key = ns + "/" + rollout;
  const std::string selector = "modelrollout.io/rollout=" + rollout +
                               ",modelrollout.io/role=" + role +
                               ",modelrollout.io/revision=" + revision;
  const SteadyTime now = clock_.steadyNow();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    // "No pod says why" (the pods may still be starting) is asked again sooner.
    const auto interval = it != cache_.end() && it->second.reason.empty() && !it->second.failed
                              ? min_interval_ / 6
                              : min_interval_;
    const bool fresh_due =
        passed_deadline && it != cache_.end() && it->second.for_deadline != passed_deadline;
    if (it != cache_.end() && it->second.selector == selector && !fresh_due &&
        now - it->second.at < interval) {
      return it->second.reason;
    }
  }
  k8s::ListOptions options;
  options.label_selector = selector;
  options.limit = 50;
  std::string reason;
  auto pods = api_.list(podsResource(), ns, options);
  const bool failed = !pods.isOk();
  if (pods.isOk()) {
    reason = podsNotReadyReason(*pods);
  } else {
    spdlog::info("{}: reading pods for the progress deadline failed: {}", key,
                 pods.status().toString());
  }
  std::lock_guard lock(mu_);
  cache_[key] = {selector, reason, failed, passed_deadline, now};
  return reason;
}

void PodReasonReader::forget(const std::string& ns, const std::string& rollout) {
  std::lock_guard lock(mu_);
  cache_.erase(ns + "/" + rollout);
}

}  // namespace mr::reconcile
