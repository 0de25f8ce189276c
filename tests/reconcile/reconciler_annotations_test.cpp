// The reconciler and the rollout's control annotations: abort rolls back within one pass and is
// removed; a failed removal backs off through the work queue; an ignored retry is removed before
// anything else of the pass, and a failed removal stops the pass.
#include <gtest/gtest.h>

#include "tests/reconcile/reconciler_fixture.h"

namespace mr::reconcile::reconciler_test {
namespace {

TEST_F(ReconcilerTest, AbortAnnotationRollsBackWithinOnePassAndIsRemoved) {
  canaryAtFirstStep();
  ASSERT_EQ(routeCanaryWeight(), 1);
  auto o = *api.object(res::modelRollouts(), "ml", "m");
  o["metadata"]["annotations"]["modelrollout.io/abort"] = "true";
  ASSERT_TRUE(api.update(res::modelRollouts(), o).isOk());
  events.clear();
  auto r = pass();
  ASSERT_TRUE(r.error.isOk()) << r.error.toString();
  EXPECT_EQ(routeCanaryWeight(), 0) << "traffic must be back on stable after one pass";
  EXPECT_EQ(status()["phase"], "RolledBack");
  const auto after = *api.object(res::modelRollouts(), "ml", "m");
  EXPECT_FALSE(after["metadata"].contains("annotations") &&
               after["metadata"]["annotations"].contains("modelrollout.io/abort"));
  ASSERT_TRUE(hasEvent("Aborted"));
  for (const auto& e : events) {
    if (e.reason == "Aborted") {
      EXPECT_EQ(e.type, "Warning");
    }
  }
}

// Regression (issue 15, found by the least-privilege e2e run): a forbidden annotation patch was
// followed by an immediate enqueue, so the controller re-sent it ~700 times a second. The error
// now goes through the work queue's per-key backoff.
TEST_F(ReconcilerTest, FailedAnnotationRemovalBacksOffInsteadOfRequeueingAtOnce) {
  canaryAtFirstStep();
  auto o = *api.object(res::modelRollouts(), "ml", "m");
  o["metadata"]["annotations"]["modelrollout.io/abort"] = "true";
  ASSERT_TRUE(api.update(res::modelRollouts(), o).isOk());
  api.injectError("patch", Status(StatusCode::kPermissionDenied, "forbidden", 403, "Forbidden"),
                  1000, "modelrollouts");
  enqueued = 0;
  auto r = pass();
  EXPECT_FALSE(r.error.isOk()) << "the queue's backoff must govern the retry";
  EXPECT_NE(r.error.toString().find("removing annotations"), std::string::npos)
      << r.error.toString();
  EXPECT_EQ(enqueued, 0) << "no immediate requeue";
  EXPECT_EQ(status()["phase"], "RolledBack") << "the abort itself is stored";
  EXPECT_EQ(routeCanaryWeight(), 0);
}

// Regression (safety simulation I3, seed 20648811): a retry set while a canary runs has nothing
// to retry and is removed first, before anything else of the pass; if that removal fails, the
// pass stops there (no status write), so the annotation is never read again against a state
// stored after it (a rollback in the same pass made it a retry of the failed revision).
TEST_F(ReconcilerTest, IgnoredRetryIsRemovedBeforeTheStatusWriteAndAFailureStopsThePass) {
  canaryAtFirstStep();
  auto o = *api.object(res::modelRollouts(), "ml", "m");
  o["metadata"]["annotations"]["modelrollout.io/retry"] = "true";
  ASSERT_TRUE(api.update(res::modelRollouts(), o).isOk());
  auto route = *api.object(res::httpRoutes(), "ml", "m");  // something else for the pass to do
  for (auto& ref : route["spec"]["rules"][0]["backendRefs"])
    ref["weight"] = ref["name"] == "m-canary" ? 7 : 93;
  ASSERT_TRUE(api.update(res::httpRoutes(), route).isOk());
  const auto before = status();
  api.injectError("patch", Status(StatusCode::kUnavailable, "down", 503, "ServiceUnavailable"), 1,
                  "modelrollouts");
  auto r = pass();
  EXPECT_FALSE(r.error.isOk());
  EXPECT_NE(r.error.toString().find("removing annotations"), std::string::npos)
      << r.error.toString();
  EXPECT_EQ(status(), before) << "nothing after the failed removal";
  EXPECT_EQ(routeCanaryWeight(), 7) << "nothing after the failed removal";
  r = pass();
  ASSERT_TRUE(r.error.isOk()) << r.error.toString();
  const auto after = *api.object(res::modelRollouts(), "ml", "m");
  EXPECT_FALSE(after["metadata"].contains("annotations") &&
               after["metadata"]["annotations"].contains("modelrollout.io/retry"));
  EXPECT_EQ(status()["phase"], "Progressing");
  EXPECT_EQ(routeCanaryWeight(), 1);
}

}  // namespace
}  // namespace mr::reconcile::reconciler_test
