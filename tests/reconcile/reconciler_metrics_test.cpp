// Issue 16: the per-rollout metric series follow the rollout through the reconciler (phase,
// weight) and disappear when the rollout is deleted.
#include <gtest/gtest.h>

#include "tests/reconcile/reconciler_fixture.h"

namespace mr::reconcile::reconciler_test {
namespace {

// Issue 16: the per-rollout series follow the rollout through the reconciler (phase, weight)
// and disappear when the rollout is deleted.
class ReconcilerMetricsTest : public ReconcilerTest {
 protected:
  void SetUp() override {
    rollout_metrics = &metrics;
    ReconcilerTest::SetUp();
  }
  std::string scrape() const {
    std::string out;
    metrics.appendTo(out);
    return out;
  }
  prometheus::Registry registry;
  RolloutMetrics metrics{registry};
};

TEST_F(ReconcilerMetricsTest, RolloutSeriesFollowTheCanaryAndGoWhenTheRolloutIsDeleted) {
  canaryAtFirstStep();
  ASSERT_EQ(status()["phase"], "Progressing");
  std::string text = scrape();
  EXPECT_NE(
      text.find(R"(modelrollout_rollout_info{namespace="ml",name="m",phase="Progressing"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(modelrollout_rollout_canary_weight{namespace="ml",name="m"} 1)"),
            std::string::npos)
      << text;
  ASSERT_TRUE(api.remove(res::modelRollouts(), "ml", "m").isOk());
  ASSERT_TRUE(pass().error.isOk());
  text = scrape();
  EXPECT_EQ(text.find(R"(name="m")"), std::string::npos) << "series of a deleted rollout remain:\n"
                                                         << text;
  EXPECT_EQ(metrics.rolloutsTracked(), 0u);
}

}  // namespace
}  // namespace mr::reconcile::reconciler_test
