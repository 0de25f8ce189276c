// ControllerApp: wires the controller process together — cluster config, RestClient (API
// request metrics), ControllerRuntime (informers for ModelRollouts and owned Deployments/
// Services, work queue, workers), optional leader election, event recorder, and the
// /healthz, /readyz, /metrics endpoints — around a Reconciler built by a factory.
// /readyz is 200 once every informer has synced (independent of leadership, so standby
// replicas are ready). Shutdown order on requestStop(): workers drain, informers stop, the
// lease is released, events are flushed, endpoints close. Lost leadership is different: every
// write is refused from that moment (RestClient's write fence, fed by the elector, also
// refuses writes once the lease may have expired) and the process exits with code 1 at once,
// without draining, as controller-runtime does.
// To plug in the real ModelRollout logic, pass a ReconcilerFactory to run().
// Thread-safety: run() from main; requestStop() from any thread (e.g. a signal thread).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

#include "common/clock.h"
#include "controller/controller_flags.h"
#include "controller/controller_metrics.h"
#include "k8s/controller_runtime.h"
#include "k8s/event_recorder.h"

namespace mr::controller {

// What a Reconciler may use. Valid until run() returns.
struct ControllerContext {
  k8s::ApiClient& client;
  k8s::ControllerRuntime& runtime;  // informers (cache reads) and enqueue() for async results
  k8s::EventRecorder& events;
  ControllerMetrics& metrics;
  const Clock& clock;
  const ControllerFlags& flags;
};

using ReconcilerFactory = std::function<std::unique_ptr<k8s::Reconciler>(ControllerContext&)>;
// What the reconciler's module tells the generic runtime (both optional): the projection of
// cached objects (ControllerOptions::transform) and the queue priority of primary events.
struct RuntimePolicy {
  std::function<nlohmann::json(const k8s::ResourceType&, nlohmann::json)> cache_transform;
  std::function<k8s::QueuePriority(const nlohmann::json*, const nlohmann::json&)> primary_priority;
  std::vector<k8s::ResourceType> read_cached;  // ControllerOptions::read_cached
};

class ControllerApp {
 public:
  explicit ControllerApp(ControllerFlags flags, const Clock& clock = RealClock::instance());

  // Runs until requestStop() and returns the process exit code; on lost leadership the
  // process exits (code 1) from the elector's thread.
  int run(const ReconcilerFactory& factory, RuntimePolicy policy = {});
  void requestStop();

  // Ports actually bound (after run() has started them), for tests using ":0".
  int metricsPort() const { return metrics_port_.load(); }
  int healthPort() const { return health_port_.load(); }

 private:
  ControllerFlags flags_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;
  std::atomic<int> metrics_port_{0};
  std::atomic<int> health_port_{0};
};

// Blocks SIGTERM/SIGINT in the calling thread (call first in main, so every thread inherits
// the mask) and starts a thread that calls `on_signal` when one arrives.
void handleTerminationSignals(std::function<void()> on_signal);

}  // namespace mr::controller
