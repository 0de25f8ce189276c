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

Result<TrafficRoutingConfig> parseTrafficRouting(const k8s::Json& tr) {
  TrafficRoutingConfig config;
  if (tr.is_null()) return config;
  if (!tr.is_object()) return invalidArgument("spec.trafficRouting: must be an object");
  std::vector<std::string> errors;
  const bool has_gateway = tr.contains("gatewayAPI") && !tr["gatewayAPI"].is_null();
  const bool has_istio = tr.contains("istio") && !tr["istio"].is_null();
  if (has_gateway && has_istio) {
    errors.push_back("spec.trafficRouting: set at most one of gatewayAPI, istio");
  }
  auto nameField = [&](const k8s::Json& obj, const char* field, const std::string& path) {
    const auto it = obj.is_object() ? obj.find(field) : obj.end();
    if (it == obj.end() || !it->is_string() || it->get<std::string>().empty()) {
      errors.push_back(path + ": must be a non-empty string");
      return std::string();
    }
    return it->get<std::string>();
  };
  if (has_gateway) {
    config.kind = TrafficRoutingConfig::Kind::kGatewayApi;
    config.http_route =
        nameField(tr["gatewayAPI"], "httpRoute", "spec.trafficRouting.gatewayAPI.httpRoute");
  } else if (has_istio) {
    const k8s::Json& istio = tr["istio"];
    config.kind = TrafficRoutingConfig::Kind::kIstio;
    config.virtual_service =
        nameField(istio, "virtualService", "spec.trafficRouting.istio.virtualService");
    if (istio.is_object() && istio.contains("routes") && !istio["routes"].is_null()) {
      const k8s::Json& routes = istio["routes"];
      if (!routes.is_array()) {
        errors.push_back("spec.trafficRouting.istio.routes: must be a list of route names");
      } else {
        for (size_t i = 0; i < routes.size(); ++i) {
          if (!routes[i].is_string() || routes[i].get<std::string>().empty()) {
            errors.push_back("spec.trafficRouting.istio.routes[" + std::to_string(i) +
                             "]: must be a non-empty string");
          } else {
            config.routes.push_back(routes[i].get<std::string>());
          }
        }
      }
    }
  }
  if (!errors.empty()) {
    std::string message;
    for (const auto& e : errors)
      message += (message.empty() ? "" : "; ") + e;
    return invalidArgument(message);
  }
  return config;
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
