#include "e2e/simulator/traffic_split.h"

#include <gtest/gtest.h>

namespace mr::sim {
namespace {

using Json = nlohmann::json;

TEST(TrafficSplitTest, RoutingOfEachKind) {
  auto none = routingOf({{"spec", {{"replicas", 1}}}});
  ASSERT_TRUE(none.isOk());
  EXPECT_EQ(none->kind, RouterKind::kReplicaRatio);
  auto gw = routingOf({{"spec", {{"trafficRouting", {{"gatewayAPI", {{"httpRoute", "r"}}}}}}}});
  ASSERT_TRUE(gw.isOk());
  EXPECT_EQ(gw->kind, RouterKind::kHttpRoute);
  EXPECT_EQ(gw->object_name, "r");
  auto istio = routingOf(
      {{"spec",
        {{"trafficRouting", {{"istio", {{"virtualService", "vs"}, {"routes", {"primary"}}}}}}}}});
  ASSERT_TRUE(istio.isOk());
  EXPECT_EQ(istio->kind, RouterKind::kVirtualService);
  EXPECT_EQ(istio->routes, std::vector<std::string>{"primary"});
  EXPECT_FALSE(
      routingOf(
          {{"spec",
            {{"trafficRouting",
              {{"istio", {{"virtualService", "vs"}}}, {"gatewayAPI", {{"httpRoute", "r"}}}}}}}})
          .isOk());
  EXPECT_FALSE(
      routingOf({{"spec", {{"trafficRouting", {{"gatewayAPI", Json::object()}}}}}}).isOk());
}

TEST(TrafficSplitTest, HttpRouteWeightsOfOurBackends) {
  const Json route = Json::parse(R"({"spec": {"rules": [
      {"matches": [{"path": {"value": "/other"}}], "backendRefs": [{"name": "other", "weight": 5}]},
      {"backendRefs": [{"name": "m-stable", "port": 80, "weight": 90},
                       {"name": "m-canary", "port": 80, "weight": 10}]}]}})");
  auto split = splitFromHttpRoute(route, "m");
  ASSERT_TRUE(split.isOk());
  EXPECT_EQ(*split, (TrafficSplit{90, 10}));
  EXPECT_DOUBLE_EQ(split->canaryFraction(), 0.1);
}

TEST(TrafficSplitTest, HttpRouteDefaultWeightAndZero) {
  auto stable_only = splitFromHttpRoute(
      Json::parse(R"({"spec": {"rules": [{"backendRefs": [{"name": "m-stable"}]}]}})"), "m");
  ASSERT_TRUE(stable_only.isOk());
  EXPECT_EQ(*stable_only, (TrafficSplit{1, 0}));
  auto all_canary = splitFromHttpRoute(
      Json::parse(R"({"spec": {"rules": [{"backendRefs": [{"name": "m-stable", "weight": 0},
          {"name": "m-canary", "weight": 1000000}]}]}})"),
      "m");
  ASSERT_TRUE(all_canary.isOk());
  EXPECT_DOUBLE_EQ(all_canary->canaryFraction(), 1.0);
  // "m-stable-x" or another rollout's backends are not ours.
  auto other = splitFromHttpRoute(
      Json::parse(R"({"spec": {"rules": [{"backendRefs": [{"name": "mm-stable"}]}]}})"), "m");
  EXPECT_EQ(other.status().code(), StatusCode::kNotFound);
}

TEST(TrafficSplitTest, VirtualServiceNamedRouteAndFqdnHosts) {
  const Json vs = Json::parse(R"({"spec": {"hosts": ["m"], "http": [
      {"name": "secondary", "route": [{"destination": {"host": "m-stable"}, "weight": 50},
                                      {"destination": {"host": "m-canary"}, "weight": 50}]},
      {"name": "primary", "route": [
         {"destination": {"host": "m-stable.ml.svc.cluster.local"}, "weight": 99},
         {"destination": {"host": "m-canary.ml.svc.cluster.local"}, "weight": 1}]}]}})");
  auto primary = splitFromVirtualService(vs, "m", {"primary"});
  ASSERT_TRUE(primary.isOk());
  EXPECT_EQ(*primary, (TrafficSplit{99, 1}));
  auto first = splitFromVirtualService(vs, "m", {});
  ASSERT_TRUE(first.isOk());
  EXPECT_EQ(*first, (TrafficSplit{50, 50}));
  EXPECT_EQ(splitFromVirtualService(vs, "m", {"missing"}).status().code(), StatusCode::kNotFound);
  auto single = splitFromVirtualService(
      Json::parse(R"({"spec": {"http": [{"route": [{"destination": {"host": "m-stable"}}]}]}})"),
      "m", {});
  ASSERT_TRUE(single.isOk());
  EXPECT_EQ(*single, (TrafficSplit{100, 0}));
}

TEST(TrafficSplitTest, ReplicaRatio) {
  EXPECT_DOUBLE_EQ(splitFromReplicas(3, 1).canaryFraction(), 0.25);
  EXPECT_EQ(splitFromReplicas(0, 0).total(), 0);
  EXPECT_DOUBLE_EQ(splitFromReplicas(0, 2).canaryFraction(), 1.0);
}

}  // namespace
}  // namespace mr::sim
