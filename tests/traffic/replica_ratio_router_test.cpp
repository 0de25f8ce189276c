#include "traffic/replica_ratio_router.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/traffic/fake_api_client.h"

namespace mr::traffic {
namespace {

using k8s::Json;
using testing::FakeApiClient;

const k8s::ResourceType& deployments() {
  return k8s::resources::deployments();
}

Json deployment(const std::string& name, int replicas, int ready) {
  Json d = {{"metadata", {{"name", name}, {"namespace", "ml"}}},
            {"spec", {{"replicas", replicas}, {"template", {{"spec", Json::object()}}}}},
            {"status", {{"replicas", replicas}}}};
  if (ready > 0) d["status"]["readyReplicas"] = ready;
  return d;
}

TEST(ReplicaRatioMathTest, CeilsAndKeepsAtLeastOnePod) {
  EXPECT_EQ(replicaRatioCanaryReplicas(4, 0), 0);
  EXPECT_EQ(replicaRatioCanaryReplicas(4, 1), 1);
  EXPECT_EQ(replicaRatioCanaryReplicas(4, 10), 1);
  EXPECT_EQ(replicaRatioCanaryReplicas(4, 25), 1);
  EXPECT_EQ(replicaRatioCanaryReplicas(4, 26), 2);
  EXPECT_EQ(replicaRatioCanaryReplicas(4, 50), 2);
  EXPECT_EQ(replicaRatioCanaryReplicas(4, 100), 4);
  EXPECT_EQ(replicaRatioCanaryReplicas(10, 33), 4);
  EXPECT_EQ(replicaRatioCanaryReplicas(0, 50), 0);
}

class ReplicaRatioRouterTest : public ::testing::Test {
 protected:
  ReplicaRatioRouterTest() : router_(api_, makeRouterTarget("ml", "fraud-scorer", 80, 4)) {}

  FakeApiClient api_;
  ReplicaRatioRouter router_;
};

// Issue 13 finding 0: the router scaled the canary to the weight it was asked for while the
// planner's EnsureCanary scaled it to the step's replicas: two writers of spec.replicas, a
// write storm. The planner owns the canary's replicas; the router only reports.
TEST_F(ReplicaRatioRouterTest, SetWeightNeverWritesTheCanaryReplicas) {
  api_.seed(deployments(), deployment("fraud-scorer-stable", 4, 4));
  api_.seed(deployments(), deployment("fraud-scorer-canary", 2, 2));
  auto set = router_.setWeight(1);  // asked 1%: 2 ready canary pods of 6 serve 33%
  ASSERT_TRUE(set.isOk());
  EXPECT_EQ(*set, std::optional<int>(33));
  set = router_.setWeight(50);
  ASSERT_TRUE(set.isOk());
  EXPECT_EQ(*set, std::optional<int>(33));
  EXPECT_EQ(api_.writes(), 0);
  EXPECT_EQ((*api_.object(deployments(), "ml", "fraud-scorer-canary"))["spec"]["replicas"], 2);
}

TEST_F(ReplicaRatioRouterTest, ReportsEffectiveWeightFromReadyPods) {
  api_.seed(deployments(), deployment("fraud-scorer-stable", 4, 4));
  api_.seed(deployments(), deployment("fraud-scorer-canary", 1, 1));
  EXPECT_EQ(*router_.readWeight(), std::optional<int>(20));  // asked 1%, clients get 1/5
  api_.seed(deployments(), deployment("fraud-scorer-canary", 1, 0));
  EXPECT_EQ(*router_.readWeight(), std::optional<int>(0));  // not ready yet
}

TEST_F(ReplicaRatioRouterTest, SetWeightReturnsTheEffectiveWeight) {
  api_.seed(deployments(), deployment("fraud-scorer-stable", 4, 4));
  api_.seed(deployments(), deployment("fraud-scorer-canary", 1, 1));
  auto set = router_.setWeight(1);
  ASSERT_TRUE(set.isOk());
  EXPECT_EQ(*set, std::optional<int>(20));
  EXPECT_EQ(api_.writes(), 0);
  EXPECT_EQ(api_.count("get"), 2) << "canary and stable";
}

TEST_F(ReplicaRatioRouterTest, NoReadyPodsCannotTell) {
  api_.seed(deployments(), deployment("fraud-scorer-stable", 4, 0));
  auto read = router_.readWeight();
  ASSERT_TRUE(read.isOk());
  EXPECT_FALSE(read->has_value());
}

TEST_F(ReplicaRatioRouterTest, MissingCanaryDeploymentCarriesNoTraffic) {
  api_.seed(deployments(), deployment("fraud-scorer-stable", 4, 4));
  EXPECT_EQ(*router_.setWeight(10), std::optional<int>(0));
  EXPECT_EQ(*router_.readWeight(), std::optional<int>(0));
  EXPECT_EQ(api_.writes(), 0);
}

TEST_F(ReplicaRatioRouterTest, WeightOutsideRangeIsRejected) {
  EXPECT_EQ(router_.setWeight(101).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ReplicaRatioRouterTest, ApiErrorsPropagate) {
  api_.seed(deployments(), deployment("fraud-scorer-canary", 0, 0));
  api_.injectError("get", Status(StatusCode::kUnavailable, "etcd down", 503, "ServiceUnavailable"));
  EXPECT_EQ(router_.setWeight(10).status().code(), StatusCode::kUnavailable);
  api_.injectError("get", Status(StatusCode::kUnavailable, "etcd down", 503, "ServiceUnavailable"));
  EXPECT_EQ(router_.readWeight().status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace mr::traffic
