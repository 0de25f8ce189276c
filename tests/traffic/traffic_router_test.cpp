#include "traffic/traffic_router.h"

#include <gtest/gtest.h>

#include "tests/traffic/fake_api_client.h"

namespace mr::traffic {
namespace {

using k8s::Json;
using Kind = TrafficRoutingConfig::Kind;

TEST(WeightPercentTest, RoundsHalfUp) {
  EXPECT_EQ(weightPercent(90, 10), 10);
  EXPECT_EQ(weightPercent(1, 2), 67);
  EXPECT_EQ(weightPercent(2, 1), 33);
  EXPECT_EQ(weightPercent(199, 1), 1);  // 0.5% -> 1
  EXPECT_EQ(weightPercent(201, 1), 0);
  EXPECT_EQ(weightPercent(0, 5), 100);
  EXPECT_EQ(weightPercent(0, 0), std::nullopt);
}

TEST(ParseTrafficRoutingTest, AbsentMeansReplicaRatio) {
  auto parsed = parseTrafficRouting(Json());
  ASSERT_TRUE(parsed.isOk());
  EXPECT_EQ(parsed->kind, Kind::kReplicaRatio);
  EXPECT_EQ(parseTrafficRouting(Json::object())->kind, Kind::kReplicaRatio);
}

TEST(ParseTrafficRoutingTest, GatewayAndIstio) {
  auto gw = parseTrafficRouting(Json::parse(R"({"gatewayAPI": {"httpRoute": "r"}})"));
  ASSERT_TRUE(gw.isOk());
  EXPECT_EQ(gw->kind, Kind::kGatewayApi);
  EXPECT_EQ(gw->http_route, "r");
  auto istio = parseTrafficRouting(
      Json::parse(R"({"istio": {"virtualService": "vs", "routes": ["primary", "b"]}})"));
  ASSERT_TRUE(istio.isOk());
  EXPECT_EQ(istio->kind, Kind::kIstio);
  EXPECT_EQ(istio->virtual_service, "vs");
  EXPECT_EQ(istio->routes, (std::vector<std::string>{"primary", "b"}));
}

TEST(ParseTrafficRoutingTest, ReportsEveryProblem) {
  auto parsed = parseTrafficRouting(
      Json::parse(R"({"gatewayAPI": {"httpRoute": ""}, "istio": {"virtualService": "vs"}})"));
  ASSERT_FALSE(parsed.isOk());
  EXPECT_EQ(parsed.status().message(),
            "spec.trafficRouting: set at most one of gatewayAPI, istio; "
            "spec.trafficRouting.gatewayAPI.httpRoute: must be a non-empty string");
  auto bad_routes =
      parseTrafficRouting(Json::parse(R"({"istio": {"virtualService": "", "routes": [1]}})"));
  ASSERT_FALSE(bad_routes.isOk());
  EXPECT_EQ(bad_routes.status().message(),
            "spec.trafficRouting.istio.virtualService: must be a non-empty string; "
            "spec.trafficRouting.istio.routes[0]: must be a non-empty string");
}

TEST(MakeTrafficRouterTest, BuildsTheConfiguredRouter) {
  testing::FakeApiClient api;
  const RouterTarget target = makeRouterTarget("ml", "fraud", 80, 4);
  EXPECT_EQ(target.stable_service, "fraud-stable");
  EXPECT_EQ(target.canary_service, "fraud-canary");
  TrafficRoutingConfig gw{Kind::kGatewayApi, "route", "", {}};
  EXPECT_EQ(makeTrafficRouter(api, target, gw)->describe(), "HTTPRoute ml/route");
  TrafficRoutingConfig istio{Kind::kIstio, "", "vs", {"primary"}};
  EXPECT_EQ(makeTrafficRouter(api, target, istio)->describe(), "VirtualService ml/vs");
  EXPECT_EQ(makeTrafficRouter(api, target, TrafficRoutingConfig{})->describe(),
            "replica ratio of Deployments ml/fraud-stable and fraud-canary");
}

}  // namespace
}  // namespace mr::traffic
