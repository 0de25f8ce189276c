#include "e2e/simulator/traffic_split.h"

#include <algorithm>

namespace mr::sim {
namespace {

using Json = nlohmann::json;

enum class Backend { kNone, kStable, kCanary };

// Matches a Service name or an Istio host (short name or FQDN `<svc>.<ns>.svc.cluster.local`).
Backend backendOf(const std::string& host, const std::string& rollout_name) {
  const std::string svc = host.substr(0, host.find('.'));
  if (svc == rollout_name + "-stable") return Backend::kStable;
  if (svc == rollout_name + "-canary") return Backend::kCanary;
  return Backend::kNone;
}

long weightOf(const Json& entry, long default_weight) {
  const auto it = entry.find("weight");
  return it != entry.end() && it->is_number_integer() ? std::max<long>(0, it->get<long>())
                                                      : default_weight;
}

}  // namespace

Result<RoutingRef> routingOf(const Json& rollout) {
  const Json routing =
      rollout.value("spec", Json::object()).value("trafficRouting", Json::object());
  if (!routing.is_object()) return RoutingRef{};
  const bool gateway = routing.contains("gatewayAPI") && !routing["gatewayAPI"].is_null();
  const bool istio = routing.contains("istio") && !routing["istio"].is_null();
  if (gateway && istio) return invalidArgument("trafficRouting sets both gatewayAPI and istio");
  RoutingRef ref;
  if (gateway) {
    ref.kind = RouterKind::kHttpRoute;
    ref.object_name = routing["gatewayAPI"].value("httpRoute", "");
  } else if (istio) {
    ref.kind = RouterKind::kVirtualService;
    ref.object_name = routing["istio"].value("virtualService", "");
    for (const auto& r : routing["istio"].value("routes", Json::array())) {
      if (r.is_string()) ref.routes.push_back(r.get<std::string>());
    }
  } else {
    return RoutingRef{};
  }
  if (ref.object_name.empty()) return invalidArgument("trafficRouting names no route object");
  return ref;
}

Result<TrafficSplit> splitFromHttpRoute(const Json& http_route, const std::string& rollout_name) {
  const Json rules = http_route.value("spec", Json::object()).value("rules", Json::array());
  for (const auto& rule : rules) {
    TrafficSplit split;
    bool referenced = false;
    for (const auto& ref : rule.value("backendRefs", Json::array())) {
      const Backend b = backendOf(ref.value("name", ""), rollout_name);
      if (b == Backend::kNone) continue;
      referenced = true;
      (b == Backend::kStable ? split.stable_weight : split.canary_weight) += weightOf(ref, 1);
    }
    if (referenced) return split;
  }
  return notFound("HTTPRoute references neither " + rollout_name + "-stable nor " + rollout_name +
                  "-canary");
}

Result<TrafficSplit> splitFromVirtualService(const Json& virtual_service,
                                             const std::string& rollout_name,
                                             const std::vector<std::string>& routes) {
  const Json http = virtual_service.value("spec", Json::object()).value("http", Json::array());
  for (const auto& entry : http) {
    if (!routes.empty() &&
        std::find(routes.begin(), routes.end(), entry.value("name", "")) == routes.end()) {
      continue;
    }
    const Json destinations = entry.value("route", Json::array());
    TrafficSplit split;
    bool referenced = false;
    for (const auto& d : destinations) {
      const std::string host = d.value("destination", Json::object()).value("host", "");
      const Backend b = backendOf(host, rollout_name);
      if (b == Backend::kNone) continue;
      referenced = true;
      const long w = weightOf(d, destinations.size() == 1 ? 100 : 0);
      (b == Backend::kStable ? split.stable_weight : split.canary_weight) += w;
    }
    if (referenced) return split;
  }
  return notFound("VirtualService has no http route to " + rollout_name + "-stable or " +
                  rollout_name + "-canary");
}

TrafficSplit splitFromReplicas(int stable_ready, int canary_ready) {
  return {std::max(0, stable_ready), std::max(0, canary_ready)};
}

}  // namespace mr::sim
