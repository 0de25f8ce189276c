// not_ready_reason.h: the pod and Deployment reasons shown when a progress deadline passes
// (issue 13 item 7).
#include "reconcile/not_ready_reason.h"

#include <gtest/gtest.h>

#include "common/fake_clock.h"
#include "reconcile/cache_projection.h"
#include "reconcile/observed_world.h"
#include "tests/traffic/fake_api_client.h"

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

// Regression (CI, e2e 10-progress-deadline on kube, 2026-12-01): the pods were read at the
// canary's start (nothing yet) and again 5 s later (still starting under load); the pod's
// ImagePullBackOff came after that, and the rollback at the 8 s deadline used the cached
// "nothing" and said "the pods report no reason" for good. The first read for each passed
// deadline is fresh.
TEST(PodReasonReader, TheFirstReadForEachPassedDeadlineIsFresh) {
  mr::testing::FakeApiClient api;
  FakeClock clock;
  PodReasonReader reader(api, clock, std::chrono::seconds(30));
  const auto lists = [&] { return api.count("list"); };
  const auto pod = [](const std::string& reason) {
    return json{
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata",
         {{"name", "m-canary-1"},
          {"namespace", "ml"},
          {"labels",
           {{"modelrollout.io/rollout", "m"},
            {"modelrollout.io/role", "canary"},
            {"modelrollout.io/revision", "abc"}}}}},
        {"status",
         {{"containerStatuses",
           json::array({{{"name", "server"}, {"state", {{"waiting", {{"reason", reason}}}}}}})}}}};
  };
  EXPECT_EQ(reader.read("ml", "m", "canary", "abc", std::nullopt), "");
  EXPECT_EQ(lists(), 1);
  api.seed(podsResource(), pod("ImagePullBackOff"));
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(reader.read("ml", "m", "canary", "abc", std::nullopt), "")
      << "before the deadline the cached answer stands for min_interval / 6";
  EXPECT_EQ(lists(), 1);
  const SystemTime first_deadline = clock.now();
  const std::string at_deadline = reader.read("ml", "m", "canary", "abc", first_deadline);
  EXPECT_NE(at_deadline.find("ImagePullBackOff"), std::string::npos) << at_deadline;
  EXPECT_EQ(lists(), 2);
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(reader.read("ml", "m", "canary", "abc", first_deadline), at_deadline);
  EXPECT_EQ(lists(), 2) << "past the deadline the usual interval applies again";

  // The same revision waits again (a retry, a later step) and passes another deadline within
  // the 30 s a reason is kept: that deadline gets its own fresh read.
  ASSERT_TRUE(api.remove(podsResource(), "ml", "m-canary-1").isOk());
  api.seed(podsResource(), pod("CrashLoopBackOff"));
  clock.advance(std::chrono::seconds(5));
  const std::string second = reader.read("ml", "m", "canary", "abc", clock.now());
  EXPECT_NE(second.find("CrashLoopBackOff"), std::string::npos) << second;
  EXPECT_EQ(lists(), 3);
}

}  // namespace
}  // namespace mr::reconcile
