#include "traffic/traffic_router.h"

#include "traffic/gateway_api_router.h"
#include "traffic/istio_router.h"
#include "traffic/replica_ratio_router.h"

namespace mr::traffic {

RouterTarget makeRouterTarget(const std::string& ns, const std::string& rollout, int port,
                              int replicas) {
  return RouterTarget{ns, rollout, rollout + "-stable", rollout + "-canary", port, replicas};
}

std::optional<int> weightPercent(long long stable, long long canary) {
  const long long total = stable + canary;
  if (total <= 0 || stable < 0 || canary < 0) return std::nullopt;
  return static_cast<int>((canary * 200 + total) / (2 * total));
}

std::unique_ptr<TrafficRouter> makeTrafficRouter(k8s::ApiClient& api, const RouterTarget& target,
                                                 const TrafficRoutingConfig& config) {
  switch (config.kind) {
    case TrafficRoutingConfig::Kind::kGatewayApi:
      return std::make_unique<GatewayApiRouter>(api, target, config.http_route);
    case TrafficRoutingConfig::Kind::kIstio:
      return std::make_unique<IstioRouter>(api, target, config.virtual_service, config.routes);
    case TrafficRoutingConfig::Kind::kReplicaRatio:
      break;
  }
  return std::make_unique<ReplicaRatioRouter>(api, target);
}

}  // namespace mr::traffic
