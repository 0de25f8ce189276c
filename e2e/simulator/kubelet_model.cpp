#include "e2e/simulator/kubelet_model.h"

#include <algorithm>
#include <cstdio>

#include "common/time_format.h"

namespace mr::sim {
namespace {

int specReplicas(const Json& deployment) {
  const Json spec = deployment.value("spec", Json::object());
  const auto it = spec.find("replicas");
  return it != spec.end() && it->is_number_integer() ? std::max(0, it->get<int>()) : 1;
}

int64_t generationOf(const Json& deployment) {
  const Json meta = deployment.value("metadata", Json::object());
  const auto it = meta.find("generation");
  return it != meta.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

int intField(const Json& status, const char* name) {
  const auto it = status.find(name);
  return it != status.end() && it->is_number_integer() ? it->get<int>() : 0;
}

// A Deployment the simulator (or a kubelet) already completed: its status matches its spec.
bool alreadyComplete(const Json& deployment, int replicas) {
  const Json status = deployment.value("status", Json::object());
  return status.is_object() && intField(status, "observedGeneration") == generationOf(deployment) &&
         intField(status, "updatedReplicas") == replicas &&
         intField(status, "availableReplicas") == replicas &&
         intField(status, "readyReplicas") == replicas;
}

Json findCondition(const Json& status, const std::string& type) {
  if (!status.is_object() || !status.contains("conditions")) return nullptr;
  for (const auto& c : status["conditions"]) {
    if (c.value("type", "") == type) return c;
  }
  return nullptr;
}

Json condition(const Json& current_status, const std::string& type, bool status,
               const std::string& reason, const std::string& message, const std::string& now) {
  const Json old = findCondition(current_status, type);
  const std::string status_text = status ? "True" : "False";
  Json c{{"type", type}, {"status", status_text}, {"reason", reason}, {"message", message}};
  const bool same_status = old.is_object() && old.value("status", "") == status_text;
  const bool same_reason =
      same_status && old.value("reason", "") == reason && old.value("message", "") == message;
  c["lastTransitionTime"] = same_status ? old.value("lastTransitionTime", now) : now;
  c["lastUpdateTime"] = same_reason ? old.value("lastUpdateTime", now) : now;
  return c;
}

}  // namespace

std::string KubeletModel::templateHash(const Json& pod_template) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
  for (unsigned char ch : pod_template.dump()) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%010llx", static_cast<unsigned long long>(h & 0xffffffffffULL));
  return buf;
}

void KubeletModel::observe(const Json& deployment, SteadyTime now) {
  const Json meta = deployment.value("metadata", Json::object());
  const Key key{meta.value("namespace", ""), meta.value("name", "")};
  const Json pod_template = deployment.value("spec", Json::object()).value("template", Json());
  const std::string hash = templateHash(pod_template);
  const int replicas = specReplicas(deployment);

  auto [it, inserted] = states_.try_emplace(key);
  State& s = it->second;
  s.deployment = deployment;
  if (inserted && alreadyComplete(deployment, replicas)) {
    // The simulator restarted: what was ready before still is.
    s.ready_hash = hash;
    s.ready_template = pod_template;
    s.ready_replicas = replicas;
  }
  if (inserted || hash != s.target_hash || replicas != s.target_replicas) {
    s.target_hash = hash;
    s.target_replicas = replicas;
    s.changed_at = now;
    const auto failure = parsePodFailure(pod_template);
    s.failure = failure.isOk() ? *failure : PodFailure::kNone;
    s.failed = false;
  }
  // Scaling down, or a change to zero replicas, needs no pod to start.
  if (s.target_hash == s.ready_hash) s.ready_replicas = std::min(s.ready_replicas, replicas);
  if (replicas == 0) {
    s.ready_hash = s.target_hash;
    s.ready_template = pod_template;
    s.ready_replicas = 0;
  }
}

void KubeletModel::forget(const std::string& ns, const std::string& name) {
  states_.erase(Key{ns, name});
}

void KubeletModel::advance(SteadyTime now) {
  for (auto& [key, s] : states_) {
    const bool done = s.ready_hash == s.target_hash && s.ready_replicas == s.target_replicas;
    if (done || now - s.changed_at < ready_delay_) continue;
    if (s.failure != PodFailure::kNone) {
      s.failed = s.target_replicas > 0;  // never ready; its pods say why
      continue;
    }
    s.ready_hash = s.target_hash;
    s.ready_template = s.deployment.value("spec", Json::object()).value("template", Json());
    s.ready_replicas = s.target_replicas;
  }
}

Json KubeletModel::desiredStatus(const std::string& ns, const std::string& name,
                                 SystemTime wall_now) const {
  const State& s = states_.at(Key{ns, name});
  const std::string now = formatRfc3339(wall_now);
  const Json current = s.deployment.value("status", Json::object());
  const int target = s.target_replicas;
  const bool same_template = s.ready_hash == s.target_hash;
  const int ready = s.ready_replicas;
  // With no old pod left, every pod that exists runs the new template.
  const int updated = same_template || ready == 0 ? target : 0;
  const bool complete = same_template && ready == target;

  Json status{{"observedGeneration", generationOf(s.deployment)},
              {"replicas", target},
              {"updatedReplicas", updated},
              {"readyReplicas", ready},
              {"availableReplicas", ready}};
  // Always present: the status is written as a merge patch, which cannot drop an absent key.
  status["unavailableReplicas"] = std::max(0, target - ready);
  const std::string rs = "ReplicaSet \"" + name + "-" + s.target_hash + "\"";
  const bool available = ready >= target;
  status["conditions"] = Json::array(
      {condition(current, "Available", available,
                 available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                 available ? "Deployment has minimum availability."
                           : "Deployment does not have minimum availability.",
                 now),
       condition(current, "Progressing", true,
                 complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                 complete ? rs + " has successfully progressed." : rs + " is progressing.", now)});
  return status;
}

std::map<std::pair<std::string, std::string>, Json> KubeletModel::failingPods(
    SystemTime wall_now) const {
  std::map<Key, Json> out;
  const std::string now = formatRfc3339(wall_now);
  for (const auto& [key, s] : states_) {
    if (!s.failed || s.ready_hash == s.target_hash) continue;
    const Json pod_template = s.deployment.value("spec", Json::object()).value("template", Json());
    for (int i = 0; i < std::min(s.target_replicas, 3); ++i) {
      const std::string name = key.second + "-" + s.target_hash + "-" + std::to_string(i);
      Json pod = failingPod(s.deployment, name);
      pod["status"] = failingPodStatus(s.failure, pod_template, name, now);
      out.emplace(Key{key.first, name}, std::move(pod));
    }
  }
  return out;
}

Json KubeletModel::observedStatus(const std::string& ns, const std::string& name) const {
  const auto it = states_.find(Key{ns, name});
  if (it == states_.end()) return nullptr;
  return it->second.deployment.value("status", Json());
}

ReadyView KubeletModel::readyView(const std::string& ns, const std::string& name) const {
  const auto it = states_.find(Key{ns, name});
  if (it == states_.end()) return {};
  const State& s = it->second;
  return {s.ready_replicas, s.ready_hash, s.ready_template.is_null() ? nullptr : &s.ready_template};
}

bool KubeletModel::settled(const std::string& ns, const std::string& name) const {
  const auto it = states_.find(Key{ns, name});
  return it == states_.end() || (it->second.ready_hash == it->second.target_hash &&
                                 it->second.ready_replicas == it->second.target_replicas);
}

std::vector<std::pair<std::string, std::string>> KubeletModel::keys() const {
  std::vector<Key> out;
  out.reserve(states_.size());
  for (const auto& [key, s] : states_)
    out.push_back(key);
  return out;
}

bool deploymentStatusEquivalent(const Json& a, const Json& b) {
  if (!a.is_object() || !b.is_object()) return a.is_object() == b.is_object();
  for (const char* f : {"observedGeneration", "replicas", "updatedReplicas", "readyReplicas",
                        "availableReplicas", "unavailableReplicas"}) {
    if (intField(a, f) != intField(b, f)) return false;
  }
  for (const char* type : {"Available", "Progressing"}) {
    const Json ca = findCondition(a, type), cb = findCondition(b, type);
    if (ca.is_null() != cb.is_null()) return false;
    if (ca.is_null()) continue;
    if (ca.value("status", "") != cb.value("status", "") ||
        ca.value("reason", "") != cb.value("reason", "")) {
      return false;
    }
  }
  return true;
}

}  // namespace mr::sim
