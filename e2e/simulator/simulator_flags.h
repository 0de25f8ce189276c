// Command-line flags of mr-simulator. Each flag takes `--name value` or `--name=value`:
//   --kubeconfig PATH          (default: $KUBECONFIG, then ~/.kube/config)
//   --rate RPS                 requests per second per ModelRollout (default 100)
//   --ready-delay DURATION     Deployment pods become ready after this (default 1s)
//   --metrics-listen HOST:PORT metrics endpoint /metrics (default 127.0.0.1:0 = ephemeral)
//   --port-file PATH           write the chosen metrics port here once listening
//   --seed N                   random seed (default 1)
//   --tick DURATION            simulation step (default 100ms)
//   --log-level LEVEL          trace|debug|info|warn|error|off (default info)
//   --log-format FORMAT        text|json (default text)
//   --kubelet-only             a real control plane runs the Deployment controllers: play only
//                              kubelet (bind pods, write their status) and the data plane
//   --node NAME                kubelet-only: the Node pods are bound to (default mr-sim-node)
// Durations are Go-style ("1s", "250ms").
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace mr::sim {

struct SimulatorFlags {
  std::string kubeconfig;
  double rate = 100.0;
  std::chrono::milliseconds ready_delay{1000};
  std::string metrics_listen = "127.0.0.1:0";
  std::string port_file;
  uint64_t seed = 1;
  std::chrono::milliseconds tick{100};
  std::string log_level = "info";
  std::string log_format = "text";
  bool kubelet_only = false;
  std::string node_name = "mr-sim-node";
  bool help = false;
};

// `args` excludes the program name. InvalidArgument names the offending flag.
Result<SimulatorFlags> parseSimulatorFlags(const std::vector<std::string>& args);
std::string simulatorUsage();

}  // namespace mr::sim
