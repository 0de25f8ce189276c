#include "traffic/gateway_api_router.h"

#include <gtest/gtest.h>

#include "tests/traffic/fake_api_client.h"
#include "traffic/object_update.h"

namespace mr::traffic {
namespace {

using k8s::Json;
using testing::FakeApiClient;

const k8s::ResourceType& routes() {
  return k8s::resources::httpRoutes();
}

// Shaped like the upstream HTTPRoute examples: parentRefs, hostnames, several rules with
// matches and filters, one rule that is not ours.
Json sampleRoute() {
  return Json::parse(R"({
    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
    "metadata": {"name": "fraud-scorer", "namespace": "ml"},
    "spec": {
      "parentRefs": [{"name": "public-gw", "namespace": "infra", "sectionName": "https"}],
      "hostnames": ["fraud.example.com"],
      "rules": [
        {"matches": [{"path": {"type": "PathPrefix", "value": "/v1/score"}}],
         "filters": [{"type": "RequestHeaderModifier",
                      "requestHeaderModifier": {"add": [{"name": "x-route", "value": "score"}]}}],
         "backendRefs": [{"name": "fraud-scorer-stable", "port": 80, "weight": 100},
                         {"name": "fraud-scorer-canary", "port": 80, "weight": 0}]},
        {"matches": [{"path": {"type": "PathPrefix", "value": "/admin"}}],
         "backendRefs": [{"name": "admin-ui", "port": 8080}]},
        {"matches": [{"path": {"type": "PathPrefix", "value": "/v1/batch"}}],
         "backendRefs": [{"group": "", "kind": "Service", "name": "fraud-scorer-stable",
                          "port": 80},
                         {"name": "shadow-sink", "port": 9000, "weight": 5}]}
      ]
    }
  })");
}

class GatewayApiRouterTest : public ::testing::Test {
 protected:
  GatewayApiRouterTest()
      : router_(api_, makeRouterTarget("ml", "fraud-scorer", 80, 4), "fraud-scorer") {}
  Json route() { return *api_.object(routes(), "ml", "fraud-scorer"); }

  FakeApiClient api_;
  GatewayApiRouter router_;
};

TEST_F(GatewayApiRouterTest, WritesExactWeightsInEveryRuleNamingOurServices) {
  api_.seed(routes(), sampleRoute());
  ASSERT_TRUE(router_.setWeight(10).isOk());
  const Json rules = route()["spec"]["rules"];
  EXPECT_EQ(rules[0]["backendRefs"], Json::parse(R"([
      {"name": "fraud-scorer-stable", "port": 80, "weight": 90},
      {"name": "fraud-scorer-canary", "port": 80, "weight": 10}])"));
  // Third rule: stable kept with its group/kind, the user's shadow ref untouched, canary added
  // as a copy of the stable ref.
  EXPECT_EQ(rules[2]["backendRefs"], Json::parse(R"([
      {"group": "", "kind": "Service", "name": "fraud-scorer-stable", "port": 80, "weight": 90},
      {"name": "shadow-sink", "port": 9000, "weight": 5},
      {"group": "", "kind": "Service", "name": "fraud-scorer-canary", "port": 80, "weight": 10}
  ])"));
}

TEST_F(GatewayApiRouterTest, LeavesOtherRulesAndFieldsUntouched) {
  api_.seed(routes(), sampleRoute());
  ASSERT_TRUE(router_.setWeight(50).isOk());
  const Json before = sampleRoute();
  const Json after = route();
  EXPECT_EQ(after["spec"]["parentRefs"], before["spec"]["parentRefs"]);
  EXPECT_EQ(after["spec"]["hostnames"], before["spec"]["hostnames"]);
  EXPECT_EQ(after["spec"]["rules"][1], before["spec"]["rules"][1]);
  EXPECT_EQ(after["spec"]["rules"][0]["matches"], before["spec"]["rules"][0]["matches"]);
  EXPECT_EQ(after["spec"]["rules"][0]["filters"], before["spec"]["rules"][0]["filters"]);
}

TEST_F(GatewayApiRouterTest, ReadsBackWhatItWrote) {
  api_.seed(routes(), sampleRoute());
  for (int w : {0, 1, 10, 50, 100}) {
    ASSERT_TRUE(router_.setWeight(w).isOk());
    auto read = router_.readWeight();
    ASSERT_TRUE(read.isOk());
    EXPECT_EQ(*read, std::optional<int>(w));
  }
}

TEST_F(GatewayApiRouterTest, SetWeightReadsBackFromThePutResponseWithoutAnotherGet) {
  api_.seed(routes(), sampleRoute());
  auto set = router_.setWeight(10);
  ASSERT_TRUE(set.isOk());
  EXPECT_EQ(*set, std::optional<int>(10));
  EXPECT_EQ(api_.count("get"), 1);
  EXPECT_EQ(api_.count("update"), 1);
  // Unchanged: the router's copy from the PUT response is the read-back; no request at all.
  set = router_.setWeight(10);
  ASSERT_TRUE(set.isOk());
  EXPECT_EQ(*set, std::optional<int>(10));
  EXPECT_EQ(api_.count("get"), 1);
  EXPECT_EQ(api_.count("update"), 1);
}

// The reconciler's pattern: readWeight, then (maybe) setWeight in the same pass.
TEST_F(GatewayApiRouterTest, SetWeightAfterReadWeightNeedsNoSecondGet) {
  api_.seed(routes(), sampleRoute());
  ASSERT_EQ(*router_.readWeight(), std::optional<int>(0));
  ASSERT_TRUE(router_.setWeight(10).isOk());
  EXPECT_EQ(api_.count("get"), 1);
  EXPECT_EQ(api_.count("update"), 1);
  EXPECT_EQ(route()["spec"]["rules"][0]["backendRefs"][1]["weight"], 10);
}

TEST_F(GatewayApiRouterTest, StaleCopyFromReadWeightCostsOneConflictAndKeepsTheOtherEdit) {
  api_.seed(routes(), sampleRoute());
  ASSERT_TRUE(router_.readWeight().isOk());
  Json other = route();  // someone edits the admin rule after our read
  other["spec"]["rules"][1]["backendRefs"][0]["port"] = 8081;
  ASSERT_TRUE(api_.update(routes(), other).isOk());
  auto set = router_.setWeight(10);
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  EXPECT_EQ(*set, std::optional<int>(10));
  EXPECT_EQ(api_.count("get"), 2);     // the read, then the re-read after 409
  EXPECT_EQ(api_.count("update"), 3);  // the other writer's, ours (409), ours again
  EXPECT_EQ(route()["spec"]["rules"][1]["backendRefs"][0]["port"], 8081);
  EXPECT_EQ(route()["spec"]["rules"][0]["backendRefs"][1]["weight"], 10);
}

TEST_F(GatewayApiRouterTest, DetectsWeightChangedBySomeoneElse) {
  api_.seed(routes(), sampleRoute());
  ASSERT_TRUE(router_.setWeight(10).isOk());
  Json edited = route();
  edited["spec"]["rules"][0]["backendRefs"][0]["weight"] = 1;
  edited["spec"]["rules"][0]["backendRefs"][1]["weight"] = 3;
  ASSERT_TRUE(api_.update(routes(), edited).isOk());
  EXPECT_EQ(*router_.readWeight(), std::optional<int>(75));
  ASSERT_TRUE(router_.setWeight(10).isOk());
  EXPECT_EQ(*router_.readWeight(), std::optional<int>(10));
}

TEST_F(GatewayApiRouterTest, ReadUsesRelativeWeightsAndDefaultOfOne) {
  Json r = sampleRoute();
  r["spec"]["rules"][0]["backendRefs"] =
      Json::parse(R"([{"name": "fraud-scorer-stable", "port": 80},
                      {"name": "fraud-scorer-canary", "port": 80, "weight": 2}])");
  api_.seed(routes(), r);
  EXPECT_EQ(*router_.readWeight(), std::optional<int>(67));  // 2 / 3
}

TEST_F(GatewayApiRouterTest, NoWriteWhenWeightsAlreadyMatch) {
  api_.seed(routes(), sampleRoute());
  ASSERT_TRUE(router_.setWeight(25).isOk());
  const int writes = api_.writes();
  ASSERT_TRUE(router_.setWeight(25).isOk());
  EXPECT_EQ(api_.writes(), writes);
}

TEST_F(GatewayApiRouterTest, MissingRouteIsNotFound) {
  EXPECT_EQ(router_.setWeight(10).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(router_.readWeight().status().code(), StatusCode::kNotFound);
  const Status verified = router_.verify();
  EXPECT_EQ(verified.code(), StatusCode::kNotFound);
  EXPECT_EQ(verified.message(), "HTTPRoute ml/fraud-scorer not found");
}

TEST_F(GatewayApiRouterTest, RetriesAfterConflictAndKeepsConcurrentEdit) {
  api_.seed(routes(), sampleRoute());
  int interfered = 0;
  api_.setBeforeWrite([&](const FakeApiClient::Request& request) {
    if (request.verb != "update" || interfered++ > 0) return;
    // Another writer changes the admin rule between our GET and our PUT.
    Json other = route();
    other["spec"]["rules"][1]["backendRefs"][0]["port"] = 8081;
    ASSERT_TRUE(api_.update(routes(), other).isOk());
  });
  auto set = router_.setWeight(10);
  ASSERT_TRUE(set.isOk());
  EXPECT_EQ(*set, std::optional<int>(10));
  EXPECT_EQ(api_.count("update"), 3);  // ours (409), the interloper's, ours again
  EXPECT_EQ(route()["spec"]["rules"][1]["backendRefs"][0]["port"], 8081);
  EXPECT_EQ(*router_.readWeight(), std::optional<int>(10));
}

TEST_F(GatewayApiRouterTest, GivesUpAfterBoundedConflicts) {
  api_.seed(routes(), sampleRoute());
  api_.injectError("update", Status(StatusCode::kConflict, "modified", 409, "Conflict"), 100);
  const Status s = router_.setWeight(10).status();
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(api_.count("update"), kMaxConflictRetries);
}

TEST_F(GatewayApiRouterTest, OtherErrorsAreNotRetried) {
  api_.seed(routes(), sampleRoute());
  api_.injectError("update", Status(StatusCode::kPermissionDenied, "forbidden", 403, "Forbidden"));
  EXPECT_EQ(router_.setWeight(10).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(api_.count("update"), 1);
}

TEST_F(GatewayApiRouterTest, RouteNotReferencingOurServicesFailsVerify) {
  Json r = sampleRoute();
  r["spec"]["rules"].erase(2);
  r["spec"]["rules"].erase(0);
  api_.seed(routes(), r);
  const Status verified = router_.verify();
  EXPECT_EQ(verified.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(verified.message().find("fraud-scorer-stable"), std::string::npos);
  EXPECT_EQ(router_.setWeight(10).status().code(), StatusCode::kInvalidArgument);
  auto read = router_.readWeight();
  ASSERT_TRUE(read.isOk());
  EXPECT_FALSE(read->has_value());
}

TEST_F(GatewayApiRouterTest, RefsInOtherNamespacesOrKindsAreNotOurs) {
  Json r = sampleRoute();
  r["spec"]["rules"] = Json::parse(R"([{"backendRefs": [
      {"name": "fraud-scorer-stable", "namespace": "other", "port": 80},
      {"name": "fraud-scorer-canary", "kind": "ServiceImport", "group": "multicluster.x-k8s.io",
       "port": 80}]}])");
  api_.seed(routes(), r);
  EXPECT_EQ(router_.verify().code(), StatusCode::kInvalidArgument);
}

TEST_F(GatewayApiRouterTest, StableOnlyRouteVerifiesAndGetsCanaryAdded) {
  Json r = sampleRoute();
  r["spec"]["rules"][0]["backendRefs"] = Json::parse(R"([{"name": "fraud-scorer-stable",
                                                          "port": 80}])");
  r["spec"]["rules"][2]["backendRefs"][1]["weight"] = 0;  // no foreign share (see below)
  api_.seed(routes(), r);
  EXPECT_TRUE(router_.verify().isOk());
  EXPECT_EQ(*router_.readWeight(), std::optional<int>(0));
  ASSERT_TRUE(router_.setWeight(1).isOk());
  EXPECT_EQ(route()["spec"]["rules"][0]["backendRefs"][1],
            Json::parse(R"({"name": "fraud-scorer-canary", "port": 80, "weight": 1})"));
}

// Issue 13 item 9: a third backend with a weight in a rule we split kept its share, so the
// canary's real share was not the step's weight, and nothing said so.
TEST_F(GatewayApiRouterTest, ForeignBackendWithAWeightInOurRuleFailsVerify) {
  api_.seed(routes(), sampleRoute());  // rule 3: stable beside shadow-sink (weight 5)
  const Status verified = router_.verify();
  EXPECT_EQ(verified.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(verified.message().find("rule 3 also sends traffic to backend shadow-sink (weight 5)"),
            std::string::npos)
      << verified.message();
  Json r = sampleRoute();
  r["spec"]["rules"][2]["backendRefs"][1]["weight"] = 0;
  api_.seed(routes(), r);
  EXPECT_TRUE(router_.verify().isOk()) << "a foreign backend at weight 0 takes no share";
}

TEST_F(GatewayApiRouterTest, VerifyLastReadChecksTheObjectReadWeightReadWithoutAnotherGet) {
  api_.seed(routes(), sampleRoute());
  ASSERT_TRUE(router_.readWeight().isOk());
  const int gets = api_.count("get");
  EXPECT_EQ(router_.verifyLastRead().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(api_.count("get"), gets);
  Json r = sampleRoute();
  r["spec"]["rules"][2]["backendRefs"][1]["weight"] = 0;
  api_.seed(routes(), r);
  EXPECT_TRUE(router_.verify().isOk()) << "verify() reads the live object";
}

TEST_F(GatewayApiRouterTest, RejectsWeightOutOfRange) {
  api_.seed(routes(), sampleRoute());
  EXPECT_EQ(router_.setWeight(101).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router_.setWeight(-1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(api_.writes(), 0);
}

}  // namespace
}  // namespace mr::traffic
