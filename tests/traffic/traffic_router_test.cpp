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
