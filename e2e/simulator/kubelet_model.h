// KubeletModel: plays kubelet and the Deployment controller for the simulator. It keeps, per
// Deployment, which pod template is ready and how many replicas of it, and computes the status
// the Deployment should show:
//   - a new Deployment or a spec change (template or scale-up) becomes ready `ready_delay`
//     after it was observed; a newer change restarts the delay;
//   - while a template change is pending: updatedReplicas 0, ready/available = the old ready
//     replicas (a rolling update), Progressing=True ReplicaSetUpdated;
//   - then replicas = readyReplicas = availableReplicas = updatedReplicas = spec.replicas,
//     Available=True MinimumReplicasAvailable, Progressing=True NewReplicaSetAvailable;
//   - scale-down (and spec.replicas 0) applies at once; 0 replicas gives all-zero counts.
// observedGeneration is always metadata.generation. The ready template also decides which
// behaviour and revision the data plane uses (readyView).
// A template with SIM_POD_FAILURE (pod_failure.h) never becomes ready: after `ready_delay` its
// pods fail, and failingPods() says which Pod objects (with the scheduler's or kubelet's
// status) should exist for it: min(replicas, 3) per Deployment.
// Thread-safety: not thread-safe; owned by the simulation loop. Pure: time is passed in.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "e2e/simulator/pod_failure.h"

namespace mr::sim {

using Json = nlohmann::json;

// What is serving behind a Deployment right now.
// `ready_template` points into the model: valid until its next observe/advance/forget.
struct ReadyView {
  int ready_replicas = 0;
  std::string ready_hash;                // templateHash of the ready pods; "" when none
  const Json* ready_template = nullptr;  // their PodTemplateSpec; null when none
};

class KubeletModel {
 public:
  explicit KubeletModel(std::chrono::milliseconds ready_delay) : ready_delay_(ready_delay) {}

  // Records the latest version of a Deployment (from a list or watch).
  void observe(const Json& deployment, SteadyTime now);
  void forget(const std::string& ns, const std::string& name);
  // Completes changes whose delay has elapsed at `now`.
  void advance(SteadyTime now);

  // The status the Deployment should show; condition times are kept from its current status
  // when a condition did not change, else set to `wall_now`. REQUIRES: the key was observed.
  Json desiredStatus(const std::string& ns, const std::string& name, SystemTime wall_now) const;
  // The Deployment's current status as last observed (null if none).
  Json observedStatus(const std::string& ns, const std::string& name) const;
  // Ready pods of a Deployment; zero replicas and a null template when unknown.
  ReadyView readyView(const std::string& ns, const std::string& name) const;
  // True when the ready pods match the spec (nothing left to wait for).
  bool settled(const std::string& ns, const std::string& name) const;
  std::vector<std::pair<std::string, std::string>> keys() const;  // (namespace, name)

  // The Pods that should exist for failing templates, by (namespace, pod name), each with its
  // `status`; times in the status are `wall_now`.
  std::map<std::pair<std::string, std::string>, Json> failingPods(SystemTime wall_now) const;

  // A stable short hash of a pod template, like Kubernetes' pod-template-hash.
  static std::string templateHash(const Json& pod_template);

 private:
  struct State {
    Json deployment;
    std::string target_hash;
    int target_replicas = 1;
    std::string ready_hash;  // "" = nothing ready yet
    Json ready_template;
    int ready_replicas = 0;
    SteadyTime changed_at;
    PodFailure failure = PodFailure::kNone;  // of the target template
    bool failed = false;                     // its pods tried for ready_delay and failed
  };
  using Key = std::pair<std::string, std::string>;

  std::chrono::milliseconds ready_delay_;
  std::map<Key, State> states_;
};

// True when two Deployment statuses agree on counts, observedGeneration and the type, status
// and reason of each condition (times and messages ignored).
bool deploymentStatusEquivalent(const Json& a, const Json& b);

}  // namespace mr::sim
