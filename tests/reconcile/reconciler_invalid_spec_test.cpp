// The reconciler under a missing route or an invalid spec: Degraded with the field named, not an
// error; mid-canary, the canary's traffic is taken away until the spec is valid again.
#include <gtest/gtest.h>

#include "tests/reconcile/reconciler_fixture.h"

namespace mr::reconcile::reconciler_test {
namespace {

TEST_F(ReconcilerTest, MissingRouteIsDegradedNotAnError) {
  api.seed(res::modelRollouts(), rollout("img:1", false));
  ASSERT_TRUE(api.remove(res::httpRoutes(), "ml", "m").isOk());
  settle();
  EXPECT_EQ(status()["phase"], "Degraded");
}

TEST_F(ReconcilerTest, InvalidSpecIsDegradedWithTheFieldNamed) {
  json bad = rollout("img:1", false);
  bad["spec"]["steps"] = json::array({{{"weight", 50}}, {{"weight", 10}}});
  api.seed(res::modelRollouts(), bad);
  auto r = pass();
  EXPECT_TRUE(r.error.isOk());
  EXPECT_EQ(status()["phase"], "Degraded");
  EXPECT_NE(status().dump().find("spec.steps"), std::string::npos) << status().dump();
  EXPECT_FALSE(api.object(res::deployments(), "ml", "m-stable"));
}

// Issue 13 finding 11: an invalid spec mid-canary kept the step's weight with no analysis. The
// route named by the (still valid) spec.trafficRouting takes the canary's traffic to 0; the
// canary pods stay; the step is entered again once the spec is valid.
TEST_F(ReconcilerTest, InvalidSpecMidCanaryTakesTheCanarysTrafficAwayUntilItIsValid) {
  canaryAtFirstStep();
  ASSERT_EQ(routeCanaryWeight(), 1);
  auto o = *api.object(res::modelRollouts(), "ml", "m");
  o["spec"]["selector"]["matchLabels"]["app"] = "other";  // no longer matches the template
  ASSERT_TRUE(api.update(res::modelRollouts(), o).isOk());
  auto r = pass();
  ASSERT_TRUE(r.error.isOk()) << r.error.toString();
  EXPECT_EQ(status()["phase"], "Degraded");
  EXPECT_EQ(routeCanaryWeight(), 0);
  EXPECT_EQ((*api.object(res::deployments(), "ml", "m-canary"))["spec"]["replicas"], 1)
      << "the canary pods are kept";
  o = *api.object(res::modelRollouts(), "ml", "m");
  o["spec"]["selector"]["matchLabels"]["app"] = "m";
  ASSERT_TRUE(api.update(res::modelRollouts(), o).isOk());
  settle();
  EXPECT_EQ(status()["phase"], "Progressing");
  EXPECT_EQ(routeCanaryWeight(), 1);
  EXPECT_EQ(status()["currentStep"], 0);
}

}  // namespace
}  // namespace mr::reconcile::reconciler_test
