// Simulation: one step of the simulated cluster, with no I/O. Each tick takes a snapshot of
// Deployments, ModelRollouts, HTTPRoutes and VirtualServices and
//   1. feeds changed Deployments to the KubeletModel and returns the status writes needed
//      (a write is repeated only when the observed status still differs after a grace period);
//   2. for each ModelRollout, reads the live split (traffic_split.h), draws this tick's share
//      of `rate` requests per second, splits them between `<name>-stable` and `<name>-canary`
//      and records what each ready version answered in the MetricsStore. Requests routed to a
//      Deployment with no ready replica count as code 503; to a missing Deployment, dropped.
// Behaviour and the revision label come from the ready pods' template (so during a rolling
// update the old version keeps serving until the new one is ready).
// With `kubelet_only` (a real control plane runs the Deployment and ReplicaSet controllers) step
// 1 is replaced by the PodKubelet (pod_kubelet.h): no Deployment status is written; the Pods of
// the snapshot are bound and given statuses (podActions), and the ready pods, grouped by
// template, serve the requests, split between templates by their ready counts.
// Thread-safety: not thread-safe; one simulation loop owns it (the store is thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "e2e/simulator/distributions.h"
#include "e2e/simulator/kubelet_model.h"
#include "e2e/simulator/metrics_store.h"
#include "e2e/simulator/pod_kubelet.h"
#include "e2e/simulator/request_sampler.h"
#include "e2e/simulator/traffic_split.h"

namespace mr::sim {

using ObjectPtr = std::shared_ptr<const Json>;

struct ClusterSnapshot {
  std::vector<ObjectPtr> deployments;
  std::vector<ObjectPtr> rollouts;
  std::vector<ObjectPtr> http_routes;
  std::vector<ObjectPtr> virtual_services;
  std::vector<ObjectPtr> pods;  // kubelet_only mode only
};

struct SimulationOptions {
  double rate = 100.0;  // requests per second per ModelRollout
  std::chrono::milliseconds ready_delay{1000};
  std::chrono::milliseconds rewrite_after{2000};  // re-send a status the watch has not echoed
  uint64_t seed = 1;
  bool kubelet_only = false;              // a real control plane: play only kubelet and data plane
  std::string node_name = "mr-sim-node";  // kubelet_only: the Node pods are bound to
};

struct StatusWrite {
  std::string ns;
  std::string name;
  Json status;  // the full Deployment status
};

// A Pod the simulator must create (with its status) or delete (SIM_POD_FAILURE).
struct PodWrite {
  bool create = true;
  std::string ns;
  std::string name;
  Json pod;  // with `status`; only for create
};

class Simulation {
 public:
  Simulation(SimulationOptions options, MetricsStore& metrics);

  std::vector<StatusWrite> tick(const ClusterSnapshot& snapshot, SteadyTime now,
                                SystemTime wall_now, std::chrono::nanoseconds dt);
  // Records a successful write so it is not repeated before the watch shows it.
  void statusWritten(const StatusWrite& write, SteadyTime now);
  // The Pod creations and deletions that bring the failing pods (KubeletModel::failingPods)
  // in line with what was written so far; call after tick().
  std::vector<PodWrite> podWrites(SystemTime wall_now) const;
  void podWritten(const PodWrite& write);
  // kubelet_only: the bindings, pod statuses and final deletions of the last tick.
  const std::vector<PodAction>& podActions() const { return pod_actions_; }
  void podActionWritten(const PodAction& action, SteadyTime now) {
    pod_kubelet_.written(action, now);
  }

  const KubeletModel& kubelet() const { return kubelet_; }
  // The split used for a rollout at the last tick (0/0 when no traffic flowed).
  TrafficSplit lastSplit(const std::string& ns, const std::string& name) const;

 private:
  using Key = std::pair<std::string, std::string>;
  struct Written {
    Json status;
    SteadyTime at;
  };
  struct RolloutState {
    double carry = 0;  // fractional requests not yet sent
    TrafficSplit split;
    std::string warning;  // last routing problem logged, to log each once
    // Parsed routing, recomputed only when the rollout or route object changes (by pointer).
    ObjectPtr routing_source;
    std::optional<Result<RoutingRef>> routing;
    ObjectPtr route_source;
    std::optional<Result<TrafficSplit>> route_split;
  };
  struct VersionInfo {
    std::string revision;
    CompiledBehavior behavior;
  };

  std::vector<StatusWrite> syncDeployments(const ClusterSnapshot& snapshot, SteadyTime now,
                                           SystemTime wall_now);
  void serveRollout(const ObjectPtr& rollout, const std::map<Key, ObjectPtr>& routes,
                    const std::map<Key, ObjectPtr>& services, std::chrono::nanoseconds dt);
  void serveRole(const std::string& ns, const std::string& rollout, const std::string& role,
                 uint64_t n);
  Result<TrafficSplit> currentSplit(const ObjectPtr& rollout, RolloutState& state,
                                    const std::map<Key, ObjectPtr>& routes,
                                    const std::map<Key, ObjectPtr>& services);
  const VersionInfo& versionFor(const std::string& hash, const Json& pod_template);
  // The ready pods behind a Deployment, by template (one group in the default mode).
  std::vector<ReadyGroup> readyGroups(const std::string& ns, const std::string& deployment) const;
  int readyReplicas(const std::string& ns, const std::string& deployment) const;

  SimulationOptions options_;
  MetricsStore& metrics_;
  KubeletModel kubelet_;
  PodKubelet pod_kubelet_;
  std::vector<PodAction> pod_actions_;
  RequestSampler sampler_;
  std::map<Key, ObjectPtr> seen_deployments_;  // pointer identity = unchanged object
  std::map<Key, Written> written_;
  std::map<Key, RolloutState> rollouts_;
  std::set<Key> needs_check_;                    // Deployments whose status may need a write
  std::map<std::string, VersionInfo> versions_;  // by template hash
  std::set<std::string> bad_behaviors_;          // hashes already warned about
  std::set<Key> pods_;                           // failing pods written (namespace, name)
};

}  // namespace mr::sim
