// not_ready_reason.h: the pod and Deployment reasons shown when a progress deadline passes
// (issue 13 item 7).
#include "reconcile/not_ready_reason.h"

#include <gtest/gtest.h>

#include "reconcile/cache_projection.h"
#include "reconcile/observed_world.h"

namespace mr::reconcile {
namespace {

using nlohmann::json;
namespace res = k8s::resources;

TEST(NotReadyReason, PodReasonsAsTheKubeletAndSchedulerWriteThem) {
  auto list = [](json status) {
    return json{{"items", json::array({{{"status", std::move(status)}}})}};
  };
  EXPECT_EQ(podsNotReadyReason(
                list({{"conditions", json::array({{{"type", "PodScheduled"},
                                                   {"status", "False"},
                                                   {"reason", "Unschedulable"},
                                                   {"message", "0/3 nodes are available"}}})}})),
            "Unschedulable: 0/3 nodes are available");
  EXPECT_EQ(podsNotReadyReason(list(
                {{"containerStatuses",
                  json::array({{{"name", "s"},
                                {"restartCount", 3},
                                {"state", {{"waiting", {{"reason", "CrashLoopBackOff"}}}}},
                                {"lastState", {{"terminated", {{"reason", "OOMKilled"}}}}}}})}})),
            "OOMKilled: container s was killed for exceeding its memory limit (3 restarts)");
  EXPECT_EQ(podsNotReadyReason(list(
                {{"containerStatuses",
                  json::array({{{"name", "s"},
                                {"state", {{"waiting", {{"reason", "CrashLoopBackOff"}}}}},
                                {"lastState",
                                 {{"terminated", {{"reason", "Error"}, {"exitCode", 1}}}}}}})}})),
            "CrashLoopBackOff: container s (last exit: Error, code 1)");
  EXPECT_EQ(podsNotReadyReason(list(
                {{"containerStatuses",
                  json::array({{{"name", "s"},
                                {"state", {{"waiting", {{"reason", "ContainerCreating"}}}}}}})}})),
            "")
      << "a pod still starting says nothing is wrong";
  EXPECT_EQ(podsNotReadyReason(json::object()), "");
}

TEST(NotReadyReason, DeploymentConditionsSurviveTheCacheProjection) {
  const json deployment = {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "m-canary"}, {"namespace", "ml"}}},
      {"status",
       {{"conditions",
         json::array({{{"type", "Available"}, {"status", "False"}, {"reason", "Minimum"}},
                      {{"type", "ReplicaFailure"},
                       {"status", "True"},
                       {"reason", "FailedCreate"},
                       {"message", "pods \"m-canary-x\" is forbidden: exceeded quota"}}})}}}};
  const json cached = projectForCache(res::deployments(), deployment);
  ASSERT_EQ(cached["status"]["conditions"].size(), 1u) << "only failing conditions are kept";
  EXPECT_EQ(observeDeployment(&cached).not_ready_reason,
            "FailedCreate: pods \"m-canary-x\" is forbidden: exceeded quota");
}

}  // namespace
}  // namespace mr::reconcile
