// SimulatorRunner: wires the pure Simulation to a Kubernetes API server and to a Prometheus
// endpoint. Four informers (Deployments, ModelRollouts, HTTPRoutes, VirtualServices, all
// namespaces) keep the snapshot current; each tick the runner takes the snapshot, runs the
// simulation, and writes Deployment statuses with a merge patch to the status subresource.
// Route CRDs that are not registered yet are retried with a short backoff (at most 2 s), so
// routes created later are picked up quickly. Metrics are served at /metrics by
// prometheus-cpp's Exposer.
// With options.simulation.kubelet_only (a real control plane) a fifth informer watches Pods and
// each tick carries out the PodKubelet's writes: bindings (POST pods/NAME/binding) and final
// deletions (DELETE, grace period 0) through `raw`, statuses as merge patches of pods/status;
// no Deployment status is written.
// Thread-safety: start() and run() from one thread; requestStop() from any thread.
#pragma once

#include <prometheus/exposer.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "e2e/simulator/simulation.h"
#include "k8s/api_client.h"
#include "k8s/informer.h"

namespace mr::sim {

struct RunnerOptions {
  SimulationOptions simulation;
  Millis tick{100};
  std::string metrics_listen = "127.0.0.1:0";
  std::string port_file;  // "" = do not write
  // kubelet_only: a request outside ApiClient (method, path, JSON body); required there.
  std::function<Status(const std::string& method, const std::string& path, const Json& body)> raw;
};

class SimulatorRunner {
 public:
  SimulatorRunner(k8s::ApiClient& client, const Clock& clock, RunnerOptions options);
  ~SimulatorRunner();

  // Opens the metrics endpoint (writing the port file) and starts the informers.
  Status start();
  // Ticks until requestStop(); returns after stopping the informers.
  void run();
  void requestStop() { stop_.store(true); }

  int metricsPort() const { return metrics_port_; }
  const MetricsStore& metrics() const { return *metrics_; }

 private:
  ClusterSnapshot snapshot() const;
  void writeStatuses(const std::vector<StatusWrite>& writes, SteadyTime now);
  void writePods(const std::vector<PodWrite>& writes);
  void runPodActions(SteadyTime now);

  k8s::ApiClient& client_;
  const Clock& clock_;
  RunnerOptions options_;
  std::shared_ptr<MetricsStore> metrics_;
  Simulation simulation_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int metrics_port_ = 0;
  std::unique_ptr<k8s::Informer> deployments_, rollouts_, http_routes_, virtual_services_, pods_;
  std::atomic<bool> stop_{false};
};

}  // namespace mr::sim
