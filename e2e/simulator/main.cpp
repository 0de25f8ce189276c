// mr-simulator: plays kubelet and data plane for the local cluster (see simulator_runner.h and
// simulator_flags.h for behaviour and flags). Prints "metrics listening on
// http://127.0.0.1:PORT/metrics" to stdout once serving; stops cleanly on SIGINT/SIGTERM.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "common/logging.h"
#include "e2e/simulator/simulator_flags.h"
#include "e2e/simulator/simulator_runner.h"
#include "k8s/kube_config.h"
#include "k8s/rest_client.h"

namespace {

// Signal handlers may only touch lock-free atomics; the main thread forwards the stop.
std::atomic<bool> g_stop{false};
void onSignal(int) {
  g_stop.store(true);
}

}  // namespace

int main(int argc, char** argv) {
  auto flags = mr::sim::parseSimulatorFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!flags.isOk()) {
    std::cerr << "mr-simulator: " << flags.status().message() << "\n" << mr::sim::simulatorUsage();
    return 2;
  }
  if (flags->help) {
    std::cout << mr::sim::simulatorUsage();
    return 0;
  }
  if (auto s = mr::setupLogging(flags->log_format, flags->log_level); !s.isOk()) {
    std::cerr << "mr-simulator: " << s.message() << "\n";
    return 2;
  }
  const mr::Clock& clock = mr::RealClock::instance();
  auto config = mr::k8s::loadClusterConfig(flags->kubeconfig, "", mr::k8s::processEnv(), clock);
  if (!config.isOk()) {
    spdlog::error("kubeconfig: {}", config.status().toString());
    return 1;
  }
  mr::k8s::RestClientOptions rest_options;
  rest_options.user_agent = "mr-simulator/0.1";
  auto client = mr::k8s::RestClient::create(std::move(*config), rest_options);
  if (!client.isOk()) {
    spdlog::error("api client: {}", client.status().toString());
    return 1;
  }

  mr::k8s::RestClient& rest = **client;
  mr::sim::RunnerOptions options;
  options.simulation.kubelet_only = flags->kubelet_only;
  options.simulation.node_name = flags->node_name;
  options.raw = [&rest](const std::string& method, const std::string& path,
                        const nlohmann::json& body) {
    auto r = rest.request(method, path, &body, "application/json",
                          method == "DELETE" ? "delete" : "create");
    return r.isOk() ? mr::Status::ok() : r.status();
  };
  options.simulation.rate = flags->rate;
  options.simulation.ready_delay = flags->ready_delay;
  options.simulation.seed = flags->seed;
  options.tick = flags->tick;
  options.metrics_listen = flags->metrics_listen;
  options.port_file = flags->port_file;
  mr::sim::SimulatorRunner runner(**client, clock, options);
  if (auto s = runner.start(); !s.isOk()) {
    spdlog::error("start: {}", s.toString());
    return 1;
  }
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::printf("metrics listening on http://127.0.0.1:%d/metrics\n", runner.metricsPort());
  std::fflush(stdout);
  spdlog::info(
      "simulator running: rate={} rps per rollout, ready-delay={}ms, tick={}ms, seed={}, mode={}",
      flags->rate, flags->ready_delay.count(), flags->tick.count(), flags->seed,
      flags->kubelet_only ? "kubelet-only (node " + flags->node_name + ")"
                          : "kubelet+deployment-controller");

  std::thread watcher([&runner] {
    while (!g_stop.load())
      mr::RealClock::instance().sleepFor(mr::Millis(50));
    runner.requestStop();
  });
  runner.run();
  watcher.join();
  spdlog::info("simulator stopped");
  return 0;
}
