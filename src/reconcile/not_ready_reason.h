// Why a Deployment's pods are not ready, in the cluster's own words, for the progress deadline
// (rollout/planner_deadline.cpp). Two sources:
//  - the Deployment's status.conditions (kept by the cache projection): ReplicaFailure=True
//    (FailedCreate: quota, admission) and Progressing=False (the Deployment controller's own
//    ProgressDeadlineExceeded);
//  - its pods, read with one label-filtered LIST (rollout, role, revision) only when a
//    rollout's deadline is near, at most once per `min_interval` per rollout: no pod informer,
//    so memory does not grow with pods and the controller needs only `list` on pods.
// Pod reasons, first found wins: PodScheduled=False (Unschedulable), a container's
// lastState.terminated OOMKilled, a waiting reason other than ContainerCreating/
// PodInitializing (CrashLoopBackOff, ImagePullBackOff, ErrImagePull,
// CreateContainerConfigError...), init containers first.
// Thread-safety: the free functions are pure; PodReasonReader is safe from many workers.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/clock.h"
#include "k8s/api_client.h"

namespace mr::reconcile {

// From a Deployment's status.conditions; "" when they say nothing is wrong.
std::string deploymentNotReadyReason(const nlohmann::json& deployment);
// From a PodList; "" when no pod says why. Counts how many pods share the reason.
std::string podsNotReadyReason(const nlohmann::json& pod_list);

const k8s::ResourceType& podsResource();

class PodReasonReader {
 public:
  PodReasonReader(k8s::ApiClient& api, const Clock& clock, std::chrono::milliseconds min_interval)
      : api_(api), clock_(clock), min_interval_(min_interval) {}

  // The reason of the pods of `rollout`'s `role` Deployment at `revision`. A reason, or a
  // failed LIST (e.g. 403 without the pods rule, which gives ""), is kept for `min_interval`;
  // pods that report nothing yet are asked again after min_interval / 6. `passed_deadline` is
  // the progress deadline when it has passed (else nullopt): the first read for each passed
  // deadline is always fresh, since its answer is what the rollback (or the one Warning)
  // states for good, and an answer read earlier may predate the pods' failure by up to the
  // interval (or belong to an earlier deadline of the same revision: a retry, a later step).
  std::string read(const std::string& ns, const std::string& rollout, const std::string& role,
                   const std::string& revision, std::optional<SystemTime> passed_deadline);
  void forget(const std::string& ns, const std::string& rollout);

 private:
  struct Cached {
    std::string selector;
    std::string reason;
    bool failed = false;
    std::optional<SystemTime> for_deadline;  // the passed deadline this read was made for
    SteadyTime at;
  };
  k8s::ApiClient& api_;
  const Clock& clock_;
  std::chrono::milliseconds min_interval_;
  std::mutex mu_;
  std::map<std::string, Cached> cache_;  // "ns/rollout"; guarded by mu_
};

}  // namespace mr::reconcile
