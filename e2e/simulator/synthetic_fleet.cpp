#include "e2e/simulator/synthetic_fleet.h"

#include <memory>
#include <utility>

namespace mr::sim {
namespace {

ObjectPtr share(Json j) {
  return std::make_shared<const Json>(std::move(j));
}

}  // namespace

Json fleetDeployment(const std::string& ns, const std::string& name, int replicas,
                     const std::string& revision, double error_rate) {
  return {
      {"metadata", {{"namespace", ns}, {"name", name}, {"generation", 1}}},
      {"spec",
       {{"replicas", replicas},
        {"template",
         {{"metadata", {{"labels", {{"modelrollout.io/revision", revision}}}}},
          {"spec",
           {{"containers",
             {{{"name", "s"},
               {"env",
                {{{"name", "SIM_ERROR_RATE"}, {"value", std::to_string(error_rate)}}}}}}}}}}}}}};
}

ClusterSnapshot gatewayFleet(int count, const std::string& ns) {
  ClusterSnapshot snapshot;
  for (int i = 0; i < count; ++i) {
    const std::string name = "r" + std::to_string(i);
    snapshot.deployments.push_back(share(fleetDeployment(ns, name + "-stable", 2, "s", 0.001)));
    snapshot.deployments.push_back(share(fleetDeployment(ns, name + "-canary", 1, "c", 0.01)));
    snapshot.rollouts.push_back(
        share({{"metadata", {{"namespace", ns}, {"name", name}}},
               {"spec",
                {{"replicas", 2}, {"trafficRouting", {{"gatewayAPI", {{"httpRoute", name}}}}}}}}));
    snapshot.http_routes.push_back(
        share({{"metadata", {{"namespace", ns}, {"name", name}}},
               {"spec",
                {{"rules",
                  {{{"backendRefs",
                     {{{"name", name + "-stable"}, {"weight", 90}},
                      {{"name", name + "-canary"}, {"weight", 10}}}}}}}}}}));
  }
  return snapshot;
}

}  // namespace mr::sim
