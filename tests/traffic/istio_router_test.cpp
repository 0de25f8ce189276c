#include "traffic/istio_router.h"

#include <gtest/gtest.h>

#include "tests/traffic/fake_api_client.h"

namespace mr::traffic {
namespace {

using k8s::Json;
using testing::FakeApiClient;

const k8s::ResourceType& vss() {
  return k8s::resources::virtualServices();
}

// Shaped like Istio's weighted-routing examples: named http routes with matches, a route to
// another service, FQDN hosts with port and subset.
Json sampleVirtualService() {
  return Json::parse(R"({
    "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
    "metadata": {"name": "fraud-scorer", "namespace": "ml"},
    "spec": {
      "hosts": ["fraud.example.com"],
      "gateways": ["infra/public-gw"],
      "http": [
        {"name": "admin", "match": [{"uri": {"prefix": "/admin"}}],
         "route": [{"destination": {"host": "admin-ui"}}]},
        {"name": "primary", "match": [{"uri": {"prefix": "/v1"}}], "timeout": "5s",
         "route": [
           {"destination": {"host": "fraud-scorer-stable.ml.svc.cluster.local",
                            "port": {"number": 80}}, "weight": 100},
           {"destination": {"host": "fraud-scorer-canary.ml.svc.cluster.local",
                            "port": {"number": 80}}, "weight": 0}]},
        {"name": "mirror", "route": [{"destination": {"host": "fraud-scorer-stable",
                                                     "subset": "v1"}}],
         "mirror": {"host": "shadow"}}
      ]
    }
  })");
}

class IstioRouterTest : public ::testing::Test {
 protected:
  IstioRouter router(std::vector<std::string> routes) {
    return IstioRouter(api_, makeRouterTarget("ml", "fraud-scorer", 80, 4), "fraud-scorer",
                       std::move(routes));
  }
  Json vs() { return *api_.object(vss(), "ml", "fraud-scorer"); }

  FakeApiClient api_;
};

TEST(IstioHostTest, MatchesShortAndQualifiedNames) {
  EXPECT_TRUE(istioHostNames("a-stable", "a-stable", "ml"));
  EXPECT_TRUE(istioHostNames("a-stable.ml", "a-stable", "ml"));
  EXPECT_TRUE(istioHostNames("a-stable.ml.svc", "a-stable", "ml"));
  EXPECT_TRUE(istioHostNames("a-stable.ml.svc.cluster.local", "a-stable", "ml"));
  EXPECT_FALSE(istioHostNames("a-stable.other.svc.cluster.local", "a-stable", "ml"));
  EXPECT_FALSE(istioHostNames("a-stable-x", "a-stable", "ml"));
}

TEST_F(IstioRouterTest, NamedRouteGetsExactWeightsOthersUntouched) {
  api_.seed(vss(), sampleVirtualService());
  auto r = router({"primary"});
  ASSERT_TRUE(r.setWeight(10).isOk());
  const Json before = sampleVirtualService();
  const Json after = vs();
  EXPECT_EQ(after["spec"]["http"][1]["route"], Json::parse(R"([
      {"destination": {"host": "fraud-scorer-stable.ml.svc.cluster.local",
                       "port": {"number": 80}}, "weight": 90},
      {"destination": {"host": "fraud-scorer-canary.ml.svc.cluster.local",
                       "port": {"number": 80}}, "weight": 10}])"));
  EXPECT_EQ(after["spec"]["http"][0], before["spec"]["http"][0]);
  EXPECT_EQ(after["spec"]["http"][2], before["spec"]["http"][2]);  // not named: untouched
  EXPECT_EQ(after["spec"]["http"][1]["timeout"], "5s");
  EXPECT_EQ(after["spec"]["hosts"], before["spec"]["hosts"]);
  EXPECT_EQ(*r.readWeight(), std::optional<int>(10));
}

TEST_F(IstioRouterTest, WithoutNamesAllRoutesToOurHostsAreSet) {
  api_.seed(vss(), sampleVirtualService());
  auto r = router({});
  ASSERT_TRUE(r.setWeight(50).isOk());
  const Json mirror = vs()["spec"]["http"][2];
  // The canary destination copies the stable one (subset, short host form).
  EXPECT_EQ(mirror["route"], Json::parse(R"([
      {"destination": {"host": "fraud-scorer-stable", "subset": "v1"}, "weight": 50},
      {"destination": {"host": "fraud-scorer-canary", "subset": "v1"}, "weight": 50}])"));
  EXPECT_EQ(mirror["mirror"], Json::parse(R"({"host": "shadow"})"));
  EXPECT_EQ(vs()["spec"]["http"][0], sampleVirtualService()["spec"]["http"][0]);
  EXPECT_EQ(*r.readWeight(), std::optional<int>(50));
}

TEST_F(IstioRouterTest, ReadsLoneDestinationWithoutWeightAsAllTraffic) {
  api_.seed(vss(), sampleVirtualService());
  EXPECT_EQ(*router({"mirror"}).readWeight(), std::optional<int>(0));
}

TEST_F(IstioRouterTest, DetectsDrift) {
  api_.seed(vss(), sampleVirtualService());
  auto r = router({"primary"});
  ASSERT_TRUE(r.setWeight(10).isOk());
  Json edited = vs();
  edited["spec"]["http"][1]["route"][0]["weight"] = 70;
  edited["spec"]["http"][1]["route"][1]["weight"] = 30;
  ASSERT_TRUE(api_.update(vss(), edited).isOk());
  EXPECT_EQ(*r.readWeight(), std::optional<int>(30));
}

TEST_F(IstioRouterTest, MissingObjectOrRouteIsReported) {
  auto r = router({"primary"});
  EXPECT_EQ(r.verify().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.setWeight(1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.readWeight().status().code(), StatusCode::kNotFound);

  api_.seed(vss(), sampleVirtualService());
  auto missing = router({"canary-route"});
  const Status verified = missing.verify();
  EXPECT_EQ(verified.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(verified.message(),
            "VirtualService ml/fraud-scorer has no http route named 'canary-route'");
  EXPECT_EQ(missing.setWeight(1).status().code(), StatusCode::kInvalidArgument);
  auto not_ours = router({"admin"});
  EXPECT_EQ(not_ours.verify().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(api_.writes(), 0);
}

// Issue 13 item 9: another destination with a weight in a route we split keeps its share.
TEST_F(IstioRouterTest, ForeignDestinationWithAWeightInOurRouteFailsVerify) {
  Json v = sampleVirtualService();
  v["spec"]["http"][1]["route"].push_back(
      Json::parse(R"({"destination": {"host": "legacy-scorer"}, "weight": 20})"));
  api_.seed(vss(), v);
  auto r = router({"primary"});
  const Status verified = r.verify();
  EXPECT_EQ(verified.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(verified.message().find("'primary' also sends traffic to legacy-scorer (weight 20)"),
            std::string::npos)
      << verified.message();
  v["spec"]["http"][1]["route"][2]["weight"] = 0;
  api_.seed(vss(), v);
  EXPECT_TRUE(router({"primary"}).verify().isOk());
}

TEST_F(IstioRouterTest, RetriesConflicts) {
  api_.seed(vss(), sampleVirtualService());
  api_.injectError("update", Status(StatusCode::kConflict, "modified", 409, "Conflict"), 2);
  auto r = router({"primary"});
  auto set = r.setWeight(10);
  ASSERT_TRUE(set.isOk());
  EXPECT_EQ(*set, std::optional<int>(10)) << "read back from the last PUT's response";
  EXPECT_EQ(api_.count("update"), 3);
  EXPECT_EQ(api_.count("get"), 3) << "one GET per attempt, none for the read-back";
  EXPECT_EQ(*r.readWeight(), std::optional<int>(10));
}

}  // namespace
}  // namespace mr::traffic
