// Traffic split: how a ModelRollout's requests divide between its stable and canary versions,
// read from the live routing exactly as a data plane would:
//   spec.trafficRouting.gatewayAPI.httpRoute: the HTTPRoute (same namespace) rule that references
//     Services `<name>-stable` / `<name>-canary` in backendRefs (weight default 1, relative);
//   spec.trafficRouting.istio.virtualService (+ routes: names of spec.http entries; all when
//     empty): the first matching http route's destinations whose host is `<name>-stable` or
//     `<name>-canary` (or their FQDNs `<svc>.<ns>.svc...`); weight default 100 when alone;
//   no trafficRouting: the ready-replica ratio of Deployments `<name>-stable` / `<name>-canary`.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace mr::sim {

enum class RouterKind { kHttpRoute, kVirtualService, kReplicaRatio };

struct RoutingRef {
  RouterKind kind = RouterKind::kReplicaRatio;
  std::string object_name;          // HTTPRoute or VirtualService name
  std::vector<std::string> routes;  // Istio http route names
};

// Relative weights; no traffic flows when both are 0.
struct TrafficSplit {
  long stable_weight = 0;
  long canary_weight = 0;

  long total() const { return stable_weight + canary_weight; }
  double canaryFraction() const {
    return total() > 0 ? static_cast<double>(canary_weight) / static_cast<double>(total()) : 0.0;
  }
  bool operator==(const TrafficSplit&) const = default;
};

// Reads spec.trafficRouting of a ModelRollout. InvalidArgument when both routers are set or a
// router names no object.
Result<RoutingRef> routingOf(const nlohmann::json& rollout);

// NotFound when the route references neither backend of `rollout_name`.
Result<TrafficSplit> splitFromHttpRoute(const nlohmann::json& http_route,
                                        const std::string& rollout_name);
Result<TrafficSplit> splitFromVirtualService(const nlohmann::json& virtual_service,
                                             const std::string& rollout_name,
                                             const std::vector<std::string>& routes);
TrafficSplit splitFromReplicas(int stable_ready, int canary_ready);

}  // namespace mr::sim
