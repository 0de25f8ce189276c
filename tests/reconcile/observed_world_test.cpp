#include "reconcile/observed_world.h"

#include <gtest/gtest.h>

namespace mr::reconcile {
namespace {

TEST(ObserveDeployment, AbsentIsNotExisting) {
  EXPECT_FALSE(observeDeployment(nullptr).exists);
}

TEST(ObserveDeployment, ReadsRevisionReplicasAndStatus) {
  const nlohmann::json d = {
      {"metadata", {{"name", "m-stable"}, {"generation", 3}}},
      {"spec",
       {{"replicas", 4},
        {"template", {{"metadata", {{"labels", {{"modelrollout.io/revision", "abc123"}}}}}}}}},
      {"status",
       {{"observedGeneration", 2},
        {"readyReplicas", 3},
        {"availableReplicas", 2},
        {"updatedReplicas", 1}}}};
  const auto o = observeDeployment(&d);
  EXPECT_TRUE(o.exists);
  EXPECT_EQ(o.revision, "abc123");
  EXPECT_EQ(o.replicas, 4);
  EXPECT_EQ(o.generation, 3);
  EXPECT_EQ(o.observed_generation, 2);
  EXPECT_EQ(o.ready_replicas, 3);
  EXPECT_EQ(o.available_replicas, 2);
  EXPECT_EQ(o.updated_replicas, 1);
}

// Issue 13 finding 3: without status.replicas the planner cannot tell an old ReplicaSet's
// available pod from the new revision's own.
TEST(ObserveDeployment, ReadsTotalPodsOfAllReplicaSetsForOwnAvailability) {
  const nlohmann::json d = {{"metadata", {{"name", "m-canary"}, {"generation", 2}}},
                            {"spec", {{"replicas", 1}}},
                            {"status",
                             {{"observedGeneration", 2},
                              {"replicas", 2},
                              {"readyReplicas", 1},
                              {"availableReplicas", 1},
                              {"updatedReplicas", 1}}}};
  const auto o = observeDeployment(&d);
  EXPECT_EQ(o.total_replicas, 2);
  EXPECT_EQ(rollout::ownAvailableReplicas(o), 0) << "the available pod is the old one";
}

TEST(ObserveDeployment, DefaultsReplicasToOneAndToleratesMissingStatus) {
  const nlohmann::json d = {{"metadata", {{"name", "m-stable"}}},
                            {"spec", nlohmann::json::object()}};
  const auto o = observeDeployment(&d);
  EXPECT_TRUE(o.exists);
  EXPECT_EQ(o.replicas, 1);
  EXPECT_EQ(o.ready_replicas, 0);
  EXPECT_TRUE(o.revision.empty());
}

}  // namespace
}  // namespace mr::reconcile
