// ControllerFlags: the controller's command line (see helpText()). Accepts `--flag=value` and
// `--flag value`; boolean flags also accept a bare `--flag`. Unknown flags are errors.
// Thread-safety: pure functions; the struct is a value.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "analysis/prometheus_policy.h"
#include "common/status.h"

namespace mr::controller {

struct ControllerFlags {
  std::string kubeconfig;
  std::string context;
  std::string ns;  // "" = all namespaces
  int workers = 8;
  bool leader_elect = false;
  std::string leader_election_namespace;  // "" = the config's namespace
  std::string leader_election_id = "modelrollout-controller-leader";
  // client-go's defaults; writes are fenced fence_margin before the lease could expire.
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  std::string metrics_bind_address = ":8080";       // "0" disables
  std::string health_probe_bind_address = ":8081";  // "0" disables
  std::string log_format = "json";
  std::string log_level = "info";
  // Prometheus rules for analysis (analysis/prometheus_policy.h, docs/security.md).
  // --allowed-prometheus-addresses: comma-separated URL prefixes; "" allows none.
  std::vector<std::string> allowed_prometheus_addresses{analysis::kDefaultPrometheusAddress};
  size_t prometheus_max_body_bytes = 8u << 20;
  std::chrono::milliseconds prometheus_max_timeout{60000};
  bool help = false;
};

Result<ControllerFlags> parseFlags(const std::vector<std::string>& args);
std::string helpText(const std::string& program);

}  // namespace mr::controller
