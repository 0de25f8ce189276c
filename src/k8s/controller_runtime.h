// ControllerRuntime: the generic reconcile loop (controller-runtime's Controller + Manager,
// reduced). It runs one Informer for the primary type and one per owned type, maps every
// event to the key of the primary object it concerns, and feeds a WorkQueue drained by N
// worker threads calling Reconciler::reconcile(key). Owned objects map to their owner by the
// `modelrollout.io/rollout` label (same namespace) or else by an ownerReference of the primary
// kind. The error policy is controller-runtime's: error -> addRateLimited (per-key
// exponential backoff); requeue_after -> forget + addAfter; success -> forget.
// Priorities (WorkQueue): a primary object's event is queued at options.primary_priority(old,
// new) (default: kNormal when generation, labels, annotations or deletion changed, else kLow -
// e.g. the echo of our own status write); owned objects' events and requeues at kLow.
// Read caches (options.read_cached) are informers for types the reconciler reads but does not
// own (traffic routes): no label filter, no events, last-applied kept, and they do not gate
// readiness, so a type whose CRD is not installed only keeps retrying its list.
// `workers` general workers take any key; `high_priority_workers` more take only kHigh keys.
// Workers start only once every primary and owned informer has synced (readiness), and only
// when startWorkers() is called (after leader election, if any).
// Thread-safety: enqueue()/enqueueAfter()/hasSynced()/informer() from any thread;
// start/stop from the owner.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "k8s/informer.h"
#include "k8s/object_key.h"
#include "k8s/work_queue.h"

namespace mr::k8s {

constexpr const char* kRolloutLabel = "modelrollout.io/rollout";

struct ReconcileResult {
  std::optional<Millis> requeue_after;
  Status error;

  static ReconcileResult done() { return {}; }
  static ReconcileResult requeueAfter(Millis d) { return {d, Status::ok()}; }
  static ReconcileResult failed(Status s) { return {std::nullopt, std::move(s)}; }
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  // Level-triggered: read the current state from the informers; never trust an event.
  virtual ReconcileResult reconcile(const ObjectKey& key) = 0;
};

struct ControllerOptions {
  std::string ns;  // "" = all namespaces
  int workers = 2;
  // Extra workers that take only kHigh keys (rollbacks, analysis results), so those never
  // wait for a general worker to finish a routine pass.
  int high_priority_workers = 1;
  ResourceType primary = resources::modelRollouts();
  std::vector<ResourceType> owned = {resources::deployments(), resources::services()};
  // Server-side filter for owned types: only objects carrying the rollout label.
  std::string owned_label_selector = kRolloutLabel;
  std::vector<ResourceType> read_cached;
  RateLimitPolicy rate_limit{Millis(5), Millis(1000 * 1000)};
  ReflectorOptions reflector;
  // Per-type projection applied before objects enter the caches (InformerOptions::transform).
  std::function<Json(const ResourceType&, Json)> transform;
  // Queue priority of a primary object's add (old == nullptr), update or delete (new == old).
  std::function<QueuePriority(const Json* old_object, const Json& new_object)> primary_priority;
};

// The default primary_priority: kNormal for adds, deletes and changes a user made (generation,
// labels, annotations, deletionTimestamp); kLow for status-only updates.
QueuePriority defaultPrimaryPriority(const Json* old_object, const Json& new_object);

// Observability hooks (all optional), called from worker threads.
struct ControllerHooks {
  // result: "success" | "error" | "requeue_after"
  std::function<void(const std::string& result, double seconds)> on_reconcile;
};

// The primary key an owned object points to (label first, then ownerReferences); nullopt if
// it is not ours.
std::optional<ObjectKey> ownerKeyOf(const Json& object, const ResourceType& primary);

class ControllerRuntime {
 public:
  ControllerRuntime(ApiClient& client, const Clock& clock, ControllerOptions options,
                    ControllerHooks hooks = {});
  ~ControllerRuntime();

  // Starts list+watch on every informer (readiness does not depend on leadership).
  void startInformers();
  // Starts the workers; they wait for hasSynced() before taking keys.
  // REQUIRES: `reconciler` outlives stop().
  void startWorkers(Reconciler& reconciler);
  // Drains: no new keys are handed out, in-flight reconciles finish, then informers stop.
  void stop();

  bool hasSynced() const;
  void enqueue(const ObjectKey& key, QueuePriority priority = QueuePriority::kNormal) {
    queue_.add(key.toString(), priority);
  }
  void enqueueAfter(const ObjectKey& key, Millis delay) { queue_.addAfter(key.toString(), delay); }
  // nullptr when `type` is not watched (primary, owned or read cache).
  Informer* informer(const ResourceType& type) const;
  Informer& primaryInformer() const { return *informers_.front(); }
  WorkQueue& queue() { return queue_; }
  const ControllerOptions& options() const { return options_; }

  // Runs one key through the reconciler and the error policy (what a worker does per key).
  void processKey(Reconciler& reconciler, const std::string& key);

 private:
  void workerLoop(Reconciler& reconciler, QueuePriority min_priority);

  const Clock& clock_;
  ControllerOptions options_;
  ControllerHooks hooks_;
  WorkQueue queue_;
  // Primary first, then owned, then read caches; only the first gating_informers_ (primary
  // and owned) gate hasSynced().
  std::vector<std::unique_ptr<Informer>> informers_;
  size_t gating_informers_ = 0;
  std::mutex workers_mu_;  // guards workers_ against start/stop from different threads
  std::vector<std::thread> workers_;
  std::atomic<bool> stopping_{false};
};

}  // namespace mr::k8s
