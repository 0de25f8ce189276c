#include "e2e/simulator/pod_kubelet.h"

#include <algorithm>

#include "common/time_format.h"
#include "e2e/simulator/pod_failure.h"

namespace mr::sim {
namespace {

const Json& field(const Json& object, const char* key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string stringField(const Json& object, const char* key) {
  const Json& v = field(object, key);
  return v.is_string() ? v.get<std::string>() : "";
}

Json condition(const char* type, bool status, const std::string& now) {
  return {{"type", type}, {"status", status ? "True" : "False"}, {"lastTransitionTime", now}};
}

bool observedReady(const Json& pod) {
  const Json& conditions = field(field(pod, "status"), "conditions");
  if (!conditions.is_array()) return false;
  for (const auto& c : conditions) {
    if (stringField(c, "type") == "Ready") return stringField(c, "status") == "True";
  }
  return false;
}

// The Deployment a pod belongs to: its owner ReplicaSet's name minus "-<pod-template-hash>".
std::string deploymentOf(const Json& meta) {
  const std::string hash = stringField(field(meta, "labels"), "pod-template-hash");
  const Json& owners = field(meta, "ownerReferences");
  if (hash.empty() || !owners.is_array()) return "";
  for (const auto& o : owners) {
    if (stringField(o, "kind") != "ReplicaSet") continue;
    const std::string rs = stringField(o, "name");
    const std::string suffix = "-" + hash;
    if (rs.size() > suffix.size() &&
        rs.compare(rs.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return rs.substr(0, rs.size() - suffix.size());
    }
  }
  return "";
}

}  // namespace

std::string podStatusSignature(const Json& status) {
  std::string sig = stringField(status, "phase");
  const Json& conditions = field(status, "conditions");
  if (conditions.is_array()) {
    for (const auto& c : conditions) {
      const std::string type = stringField(c, "type");
      if (type == "Ready" || type == "PodScheduled") {
        sig += "|" + type + "=" + stringField(c, "status") + ":" + stringField(c, "reason");
      }
    }
  }
  const Json& containers = field(status, "containerStatuses");
  if (containers.is_array()) {
    for (const auto& c : containers) {
      sig += "|" + stringField(c, "name") + (field(c, "ready") == true ? "+" : "-");
      const Json& state = field(c, "state");
      if (state.is_object() && !state.empty()) {
        sig += state.begin().key() + ":" + stringField(state.begin().value(), "reason");
      }
    }
  }
  return sig;
}

Json PodKubelet::runningStatus(const Json& pod, bool ready, const std::string& started_at,
                               const std::string& now) {
  Json statuses = Json::array();
  std::vector<std::string> names;
  const Json& containers = field(field(pod, "spec"), "containers");
  if (containers.is_array()) {
    for (const auto& c : containers) {
      const std::string name = stringField(c, "name");
      names.push_back(name);
      statuses.push_back({{"name", name},
                          {"image", stringField(c, "image")},
                          {"imageID", ""},
                          {"ready", ready},
                          {"started", true},
                          {"restartCount", 0},
                          {"state", {{"running", {{"startedAt", started_at}}}}}});
    }
  }
  Json ready_condition = condition("Ready", ready, now);
  Json containers_ready = condition("ContainersReady", ready, now);
  if (!ready) {
    std::string list;
    for (const auto& n : names)
      list += (list.empty() ? "" : " ") + n;
    for (Json* c : {&ready_condition, &containers_ready}) {
      (*c)["reason"] = "ContainersNotReady";
      (*c)["message"] = "containers with unready status: [" + list + "]";
    }
  }
  return {
      {"phase", "Running"},
      {"startTime", started_at},
      {"conditions", Json::array({condition("PodReadyToStartContainers", true, started_at),
                                  condition("Initialized", true, started_at), ready_condition,
                                  containers_ready, condition("PodScheduled", true, started_at)})},
      {"containerStatuses", statuses}};
}

bool PodKubelet::recentlySent(const std::string& uid, const std::string& signature,
                              SteadyTime now) const {
  const auto it = sent_.find(uid);
  return it != sent_.end() && it->second.signature == signature &&
         now - it->second.at < rewrite_after_;
}

std::vector<PodAction> PodKubelet::tick(const std::vector<std::shared_ptr<const Json>>& pods,
                                        SteadyTime now, SystemTime wall_now) {
  std::vector<PodAction> actions;
  std::map<Key, PodState> live;
  std::map<std::string, Sent> live_sent;
  ready_.clear();
  const std::string now_text = formatRfc3339(wall_now);
  for (const auto& pod_ptr : pods) {
    const Json& pod = *pod_ptr;
    const Json& meta = field(pod, "metadata");
    const Key key{stringField(meta, "namespace"), stringField(meta, "name")};
    const std::string uid = stringField(meta, "uid");
    PodState state;
    if (auto it = pods_.find(key); it != pods_.end() && it->second.uid == uid) state = it->second;
    state.uid = uid;
    if (state.ip == 0) state.ip = next_ip_++;
    if (auto s = sent_.find(uid); s != sent_.end()) live_sent.insert(*s);

    const bool terminating = !field(meta, "deletionTimestamp").is_null();
    const std::string node = stringField(field(pod, "spec"), "nodeName");
    const Result<PodFailure> parsed = parsePodFailure(pod);
    const PodFailure failure = parsed.isOk() ? *parsed : PodFailure::kNone;

    if (terminating) {
      if (!recentlySent(uid, "delete", now)) {
        actions.push_back({PodAction::Kind::kDelete,
                           key.first,
                           key.second,
                           uid,
                           {{"apiVersion", "v1"},
                            {"kind", "DeleteOptions"},
                            {"gracePeriodSeconds", 0},
                            {"preconditions", {{"uid", uid}}}}});
      }
    } else if (node.empty()) {
      if (failure == PodFailure::kUnschedulable) {
        Json status = failingPodStatus(failure, pod, key.second, now_text);
        const std::string sig = podStatusSignature(status);
        if (sig != podStatusSignature(field(pod, "status")) && !recentlySent(uid, sig, now)) {
          actions.push_back(
              {PodAction::Kind::kStatus, key.first, key.second, uid, std::move(status)});
        }
      } else if (!recentlySent(uid, "bind", now)) {
        actions.push_back(
            {PodAction::Kind::kBind,
             key.first,
             key.second,
             uid,
             {{"apiVersion", "v1"},
              {"kind", "Binding"},
              {"metadata", {{"name", key.second}, {"uid", uid}}},
              {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node_}}}}});
      }
    } else {
      if (!state.bound) {
        state.bound = true;
        state.bound_seen = now;
        state.started_at = now_text;
      }
      const bool delay_over = now - state.bound_seen >= ready_delay_;
      Json status = failure != PodFailure::kNone && delay_over
                        ? failingPodStatus(failure, pod, key.second, now_text)
                        : runningStatus(pod, delay_over, state.started_at, now_text);
      const std::string ip = "10.244." + std::to_string(state.ip / 250 % 250) + "." +
                             std::to_string(state.ip % 250 + 1);
      status["hostIP"] = "127.0.0.1";
      status["hostIPs"] = Json::array({{{"ip", "127.0.0.1"}}});
      status["podIP"] = ip;
      status["podIPs"] = Json::array({{{"ip", ip}}});
      if (!status.contains("startTime")) status["startTime"] = state.started_at;
      const std::string sig = podStatusSignature(status);
      if (sig != podStatusSignature(field(pod, "status")) && !recentlySent(uid, sig, now)) {
        actions.push_back(
            {PodAction::Kind::kStatus, key.first, key.second, uid, std::move(status)});
      }
    }
    if (!terminating && observedReady(pod)) {
      const std::string deployment = deploymentOf(meta);
      if (!deployment.empty()) {
        auto& groups = ready_[{key.first, deployment}];
        const std::string hash = stringField(field(meta, "labels"), "pod-template-hash");
        auto g = std::find_if(groups.begin(), groups.end(),
                              [&](const ReadyGroup& r) { return r.hash == hash; });
        if (g == groups.end()) {
          groups.push_back({1, hash, pod_ptr});
        } else {
          ++g->ready;
        }
      }
    }
    live.emplace(key, std::move(state));
  }
  pods_ = std::move(live);
  sent_ = std::move(live_sent);
  return actions;
}

void PodKubelet::written(const PodAction& action, SteadyTime now) {
  std::string sig;
  switch (action.kind) {
    case PodAction::Kind::kBind:
      sig = "bind";
      break;
    case PodAction::Kind::kDelete:
      sig = "delete";
      break;
    case PodAction::Kind::kStatus:
      sig = podStatusSignature(action.body);
      break;
  }
  sent_[action.uid] = {sig, now};
}

std::vector<ReadyGroup> PodKubelet::readyGroups(const std::string& ns,
                                                const std::string& deployment) const {
  const auto it = ready_.find({ns, deployment});
  return it == ready_.end() ? std::vector<ReadyGroup>{} : it->second;
}

}  // namespace mr::sim
