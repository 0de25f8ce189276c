// ModelRolloutReconciler: the I/O shell around the pure planner (rollout/planner.h).
// Per key it reads the ModelRollout and its managed objects from the informer caches, reads
// the route's weight through the TrafficRouter (from the route read cache when there is one,
// route_reads.h), calls plan(), and applies the plan:
// object actions through ActionApplier, weights through the router (read back after every
// change), checks through the Analyzer (off the worker thread; the result re-enqueues the
// key). Then it writes status once, only if it changed, and only after a successful status
// write applies the plan's after_status actions (e.g. the weight of a step entered in this
// pass), records Events and removes acknowledged annotations (user intent stays until its
// effect is in status). A failed action stops the pass without a status write; the next pass
// re-derives the same plan (docs/lifecycle.md, crash safety). A failed after-status action
// fails the pass after the Events; the next pass repairs the world from the stored status.
// After its own status write, a pass whose cache still shows the overwritten resourceVersion
// waits briefly for the watch instead of acting on stale state (which would only end in a
// 409 Conflict); the wait is bounded in case the watch event never comes.
// Thread-safety: reconcile() may run on many workers at once for different keys (the work
// queue never hands one key to two workers).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "analysis/analyzer.h"
#include "analysis/prometheus_policy.h"
#include "common/clock.h"
#include "k8s/api_client.h"
#include "k8s/controller_runtime.h"
#include "reconcile/action_applier.h"
#include "reconcile/analysis_tracker.h"
#include "reconcile/not_ready_reason.h"
#include "reconcile/rollout_metrics.h"
#include "reconcile/route_reads.h"

namespace mr::reconcile {

// Reads one cached object; nullptr when absent.
using CacheReader = std::function<std::shared_ptr<const nlohmann::json>(
    const k8s::ResourceType& type, const std::string& ns, const std::string& name)>;
// Records an Event on `object` (type "Normal" | "Warning").
using EventSink = std::function<void(const nlohmann::json& object, const std::string& type,
                                     const std::string& reason, const std::string& message)>;

struct ReconcilerDeps {
  k8s::ApiClient* api = nullptr;
  const Clock* clock = nullptr;
  analysis::Analyzer* analyzer = nullptr;
  CacheReader cache;
  std::function<void(const k8s::ObjectKey&)> enqueue;
  EventSink events;
  RolloutMetrics* metrics = nullptr;  // optional
  // The platform's Prometheus rules (allow-list; analysis/prometheus_policy.h): a spec that
  // breaks them is InvalidSpec, and no Secret is read for it.
  analysis::PrometheusPolicy prometheus_policy;
  // Optional: answers route reads (route_reads.h); without it every pass GETs its route.
  RouteCache route_cache;
  // Longest time between two passes over one object, so a route changed by someone else is
  // noticed even in a steady state (a route's events do not enqueue its rollout).
  std::chrono::milliseconds resync_period{300000};
  // How long to wait for the cache to show our own status (or route) write before acting
  // anyway.
  std::chrono::milliseconds own_write_wait{5000};
  // A status change that only updates messages (pod counts while waiting: "canary 0/1
  // available") is written at most once per this interval per rollout; the pass requeues to
  // write it later. Changes of phase, step, weight, revisions, counters, condition status or
  // anything with an Event or after-status action are never delayed. 0 disables.
  std::chrono::milliseconds progress_write_interval{2000};
  // Pods are read (one LIST) only for a rollout whose progress deadline is within
  // `pod_read_lead` or past, at most once per `pod_read_interval` (not_ready_reason.h).
  std::chrono::milliseconds pod_read_lead{10000};
  std::chrono::milliseconds pod_read_interval{30000};
};

class ModelRolloutReconciler final : public k8s::Reconciler {
 public:
  // REQUIRES: api, clock, analyzer, cache, enqueue and events are set and outlive this.
  explicit ModelRolloutReconciler(ReconcilerDeps deps);

  k8s::ReconcileResult reconcile(const k8s::ObjectKey& key) override;

  const AnalysisTracker& analyses() const { return tracker_; }
  uint64_t objectWrites() const { return applier_.writes(); }

 private:
  struct Pass;
  // Applies `actions` in order, stopping at the first failure. `status_stored`: they are the
  // plan's after_status actions and the status is already written.
  Status applyActions(Pass& pass, const std::vector<rollout::Action>& actions, bool status_stored);
  Status writeStatus(Pass& pass);
  // Sends the pass's Events and removes handled annotations; the removal's error, if any.
  Status finishPass(Pass& pass);
  // One merge patch of the ModelRollout that deletes these annotations.
  Status removeAnnotations(Pass& pass, const std::vector<std::string>& keys);
  void startAnalysis(Pass& pass, const rollout::StartAnalysis& action);
  // Fills not_ready_reason from the pods when a progress deadline is near.
  void readPodReasons(Pass& pass);
  // world.blocked_*: an object with our names that is not ours (adoption rule), from the cache
  // and, for objects refused before that the cache does not hold, one GET each.
  void checkOwnership(Pass& pass);
  // Remembers (or forgets) an object refused by the adoption rule for this key.
  void noteRefused(const std::string& key, const std::string& object, bool refused);

  ReconcilerDeps deps_;
  RouteReads route_reads_;  // what the routers read and write through
  ActionApplier applier_;
  AnalysisTracker tracker_;
  PodReasonReader pod_reasons_;
  std::mutex refused_mu_;
  // Per key, "deployments/<name>" / "services/<name>" refused by the adoption rule; guarded by
  // refused_mu_. Lost on restart, when the first create (AlreadyExists) finds them again.
  std::map<std::string, std::set<std::string>> refused_;

  // Per key, our last status write: when, and the resourceVersion it replaced (cleared once
  // the cache has moved past it).
  struct WrittenOver {
    std::string resource_version;
    SteadyTime at;
  };
  bool cacheBehindOwnWrite(const std::string& key, const std::string& cached_rv);
  // Whether this pass's status change is messages only and comes too soon after the last
  // write (progress_write_interval); then sets pass.status_deferred_for.
  bool deferProgressOnly(Pass& pass);
  std::mutex written_mu_;
  std::map<std::string, WrittenOver> written_over_;  // guarded by written_mu_
};

}  // namespace mr::reconcile
