// PodKubelet: the simulator's kubelet for a real control plane (--kubelet-only, MR_API=kube),
// where kube-controller-manager runs the Deployment and ReplicaSet controllers and creates real
// Pods. There is no scheduler and no kubelet, so for every Pod it decides the write a scheduler
// or kubelet would make:
//   - unbound (no spec.nodeName): bind it to `node` (pods/binding), unless its template fails
//     with SIM_POD_FAILURE=Unschedulable: then PodScheduled=False/Unschedulable, never bound;
//   - bound: status Running with Ready=False until `ready_delay` after it was first seen bound,
//     then Ready=True (ContainersReady, Initialized, PodScheduled too, a running container per
//     spec container); a SIM_POD_FAILURE template gets the kubelet's waiting reasons
//     (pod_failure.h) after the delay and never becomes ready;
//   - terminating (deletionTimestamp): deleted with grace period 0, as the kubelet does once its
//     containers stopped.
// A write is repeated only when the observed Pod still differs `rewrite_after` after it was
// sent. Ready pods are what the data plane serves from (readyGroups).
// Thread-safety: not thread-safe; owned by the simulation loop. Pure: time is passed in.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"

namespace mr::sim {

using Json = nlohmann::json;

struct PodAction {
  enum class Kind { kBind, kStatus, kDelete };
  Kind kind = Kind::kStatus;
  std::string ns;
  std::string name;
  std::string uid;
  Json body;  // kBind: the Binding; kStatus: the full status; kDelete: the DeleteOptions
};

// Ready pods of one template behind a Deployment.
struct ReadyGroup {
  int ready = 0;
  std::string hash;                 // pod-template-hash label
  std::shared_ptr<const Json> pod;  // one of its ready pods (labels + spec = the template)
};

class PodKubelet {
 public:
  PodKubelet(std::chrono::milliseconds ready_delay, std::string node,
             std::chrono::milliseconds rewrite_after = std::chrono::milliseconds(2000))
      : ready_delay_(ready_delay), node_(std::move(node)), rewrite_after_(rewrite_after) {}

  // The writes the current pods need (call every tick with every Pod).
  std::vector<PodAction> tick(const std::vector<std::shared_ptr<const Json>>& pods, SteadyTime now,
                              SystemTime wall_now);
  // Records a sent write so it is not repeated before the watch shows it.
  void written(const PodAction& action, SteadyTime now);

  // Ready pods (Ready=True as observed, not terminating) of Deployment ns/name, grouped by
  // template, from the last tick. A pod belongs to Deployment D when its owner ReplicaSet is
  // named D-<pod-template-hash>, as the Deployment controller names them.
  std::vector<ReadyGroup> readyGroups(const std::string& ns, const std::string& deployment) const;

  // The status a bound pod shows `ready` or not, with its containers running.
  static Json runningStatus(const Json& pod, bool ready, const std::string& started_at,
                            const std::string& now);

 private:
  using Key = std::pair<std::string, std::string>;
  struct PodState {
    std::string uid;
    SteadyTime bound_seen;
    bool bound = false;
    std::string started_at;  // RFC 3339, when first seen bound
    int ip = 0;
  };
  struct Sent {
    std::string signature;
    SteadyTime at;
  };

  bool recentlySent(const std::string& uid, const std::string& signature, SteadyTime now) const;

  std::chrono::milliseconds ready_delay_;
  std::string node_;
  std::chrono::milliseconds rewrite_after_;
  std::map<Key, PodState> pods_;
  std::map<std::string, Sent> sent_;              // by pod uid
  std::map<Key, std::vector<ReadyGroup>> ready_;  // by (namespace, deployment)
  int next_ip_ = 1;
};

// A short signature of what a Pod status says (phase, Ready, container states), to compare a
// desired status with an observed one while ignoring times and messages.
std::string podStatusSignature(const Json& status);

}  // namespace mr::sim
