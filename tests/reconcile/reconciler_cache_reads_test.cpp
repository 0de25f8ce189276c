// The reconciler's reads from informer caches that lag its own writes: managed objects the cache
// has not seen yet are confirmed by a GET instead of reported missing; routes come from the route
// cache (no GET per pass), and a conflict on a stale cached route is resolved with one GET.
#include <gtest/gtest.h>

#include "tests/reconcile/reconciler_fixture.h"

namespace mr::reconcile::reconciler_test {
namespace {

// Regression (e2e 11-replica-ratio-promotion, flaky under load): the pass after the first deploy
// ran before the Service informer delivered our own creates and warned "recreating missing root
// Service". A managed object missing from the cache is confirmed by a GET first.
TEST_F(ReconcilerTest, ObjectsOurCacheHasNotSeenYetAreNotReportedMissing) {
  api.seed(res::modelRollouts(), rollout("img:1", false));
  ASSERT_TRUE(pass().error.isOk());
  ASSERT_EQ(status()["phase"], "Healthy");
  hidden_from_cache = {"services/m-stable", "services/m-canary", "services/m",
                       "deployments/m-stable"};
  events.clear();
  const int creates = api.count("create");
  auto r = pass();
  ASSERT_TRUE(r.error.isOk()) << r.error.toString();
  EXPECT_FALSE(hasEvent("ManagedObjectRecreated"));
  EXPECT_EQ(api.count("create"), creates) << "nothing is created twice";
  EXPECT_EQ(status()["phase"], "Healthy");
  // A Service really deleted is still recreated, with the Warning.
  ASSERT_TRUE(api.remove(res::services(), "ml", "m-canary").isOk());
  hidden_from_cache.clear();
  r = pass();
  ASSERT_TRUE(r.error.isOk()) << r.error.toString();
  EXPECT_TRUE(hasEvent("ManagedObjectRecreated"));
  EXPECT_TRUE(api.object(res::services(), "ml", "m-canary"));
}

// Issue 8: routes come from the cache, so a whole rollout costs no route GET; a cache that has
// not yet seen our own route write answers with that write's response instead (no RouteDrift
// "repair", no 409).
TEST_F(ReconcilerRouteCacheTest, RoutesAreReadFromTheCacheEvenWhileItLagsOurWrites) {
  canaryAtFirstStep();
  ASSERT_EQ(routeCanaryWeight(), 1);
  route_view = api.object(res::httpRoutes(), "ml", "m");  // the watch stops here
  clock.advance(std::chrono::seconds(11));
  events.clear();
  for (int i = 0; i < 3; ++i) {
    auto r = pass();
    ASSERT_TRUE(r.error.isOk()) << r.error.toString();
  }
  EXPECT_EQ(status()["currentStep"], 1);
  EXPECT_EQ(routeCanaryWeight(), 50);
  EXPECT_FALSE(hasEvent("RouteDrift")) << "the lagging cache was not taken for drift";
  EXPECT_EQ(count("update", "httproutes"), 2) << "1%, then 50%; nothing rewritten";
  route_view.reset();  // the watch catches up
  for (int i = 0; i < 12 && status()["phase"] != "Healthy"; ++i) {
    clock.advance(std::chrono::seconds(11));
    settle();
  }
  EXPECT_EQ(status()["phase"], "Healthy");
  EXPECT_EQ(routeCanaryWeight(), 0);
  EXPECT_EQ(count("get", "httproutes"), 0) << "no pass read its route from the server";
}

// A cache still showing a version older than someone else's write: the PUT conflicts once,
// the retry reads the route from the server and succeeds.
TEST_F(ReconcilerRouteCacheTest, ConflictOnAStaleCachedRouteIsResolvedWithOneGet) {
  canaryAtFirstStep();
  route_view = api.object(res::httpRoutes(), "ml", "m");
  auto foreign = *api.object(res::httpRoutes(), "ml", "m");
  foreign["metadata"]["labels"] = {{"team", "platform"}};  // someone else's edit
  ASSERT_TRUE(api.update(res::httpRoutes(), foreign).isOk());
  clock.advance(std::chrono::seconds(11));
  auto r = pass();
  ASSERT_TRUE(r.error.isOk()) << r.error.toString();
  EXPECT_EQ(routeCanaryWeight(), 50);
  EXPECT_EQ(count("get", "httproutes"), 1);
  EXPECT_EQ((*api.object(res::httpRoutes(), "ml", "m"))["metadata"]["labels"]["team"], "platform")
      << "the other writer's change survived";
}

}  // namespace
}  // namespace mr::reconcile::reconciler_test
