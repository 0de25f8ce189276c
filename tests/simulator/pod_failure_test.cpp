// SIM_POD_FAILURE (pod_failure.h): pods that never become ready and report why the way the
// scheduler and kubelet do, so the controller's progress deadline can be exercised end to end.
#include "e2e/simulator/pod_failure.h"

#include <gtest/gtest.h>

#include "e2e/simulator/kubelet_model.h"
#include "e2e/simulator/metrics_store.h"
#include "e2e/simulator/simulation.h"

namespace mr::sim {
namespace {

using std::chrono::milliseconds;

Json podTemplate(const std::string& failure) {
  Json container = {{"name", "server"}, {"image", "m:2"}};
  if (!failure.empty()) {
    container["env"] = Json::array({{{"name", "SIM_POD_FAILURE"}, {"value", failure}}});
  }
  return {{"metadata", {{"labels", {{"modelrollout.io/role", "canary"}}}}},
          {"spec", {{"containers", Json::array({container})}}}};
}

Json deployment(int replicas, const std::string& failure, int generation = 1) {
  return {{"metadata",
           {{"namespace", "ml"}, {"name", "m-canary"}, {"uid", "u1"}, {"generation", generation}}},
          {"spec", {{"replicas", replicas}, {"template", podTemplate(failure)}}}};
}

TEST(PodFailure, ParsesTheFourFailuresAndRejectsOthers) {
  EXPECT_EQ(*parsePodFailure(podTemplate("")), PodFailure::kNone);
  EXPECT_EQ(*parsePodFailure(podTemplate("CrashLoopBackOff")), PodFailure::kCrashLoopBackOff);
  EXPECT_EQ(*parsePodFailure(podTemplate("ImagePullBackOff")), PodFailure::kImagePullBackOff);
  EXPECT_EQ(*parsePodFailure(podTemplate("Unschedulable")), PodFailure::kUnschedulable);
  EXPECT_EQ(*parsePodFailure(podTemplate("OOMKilled")), PodFailure::kOOMKilled);
  EXPECT_FALSE(parsePodFailure(podTemplate("Sometimes")).isOk());
}

TEST(PodFailure, StatusesReadLikeTheSchedulerAndKubeletWriteThem) {
  const Json tmpl = podTemplate("x");
  Json s = failingPodStatus(PodFailure::kUnschedulable, tmpl, "p", "t");
  EXPECT_EQ(s["phase"], "Pending");
  EXPECT_EQ(s["conditions"][0]["type"], "PodScheduled");
  EXPECT_EQ(s["conditions"][0]["status"], "False");
  EXPECT_EQ(s["conditions"][0]["reason"], "Unschedulable");

  s = failingPodStatus(PodFailure::kImagePullBackOff, tmpl, "p", "t");
  EXPECT_EQ(s["containerStatuses"][0]["state"]["waiting"]["reason"], "ImagePullBackOff");
  EXPECT_EQ(s["containerStatuses"][0]["state"]["waiting"]["message"],
            "Back-off pulling image \"m:2\"");

  s = failingPodStatus(PodFailure::kCrashLoopBackOff, tmpl, "p", "t");
  EXPECT_EQ(s["containerStatuses"][0]["state"]["waiting"]["reason"], "CrashLoopBackOff");
  EXPECT_EQ(s["containerStatuses"][0]["lastState"]["terminated"]["reason"], "Error");

  s = failingPodStatus(PodFailure::kOOMKilled, tmpl, "p", "t");
  EXPECT_EQ(s["containerStatuses"][0]["state"]["waiting"]["reason"], "CrashLoopBackOff");
  EXPECT_EQ(s["containerStatuses"][0]["lastState"]["terminated"]["reason"], "OOMKilled");
  EXPECT_EQ(s["containerStatuses"][0]["lastState"]["terminated"]["exitCode"], 137);
}

class FailingKubeletTest : public ::testing::Test {
 protected:
  KubeletModel model{milliseconds(1000)};
  SteadyTime t0{};
  SystemTime wall{std::chrono::seconds(1'800'000'000)};
};

TEST_F(FailingKubeletTest, FailingTemplateNeverBecomesReadyAndItsPodsSayWhy) {
  model.observe(deployment(5, "ImagePullBackOff"), t0);
  model.advance(t0 + milliseconds(999));
  EXPECT_TRUE(model.failingPods(wall).empty()) << "the pods are still trying";
  model.advance(t0 + milliseconds(60000));
  const Json s = model.desiredStatus("ml", "m-canary", wall);
  EXPECT_EQ(s["readyReplicas"], 0);
  EXPECT_EQ(s["availableReplicas"], 0);
  EXPECT_FALSE(model.settled("ml", "m-canary"));
  const auto pods = model.failingPods(wall);
  ASSERT_EQ(pods.size(), 3u) << "at most three pods per Deployment";
  const Json& pod = pods.begin()->second;
  EXPECT_EQ(pod["metadata"]["labels"]["modelrollout.io/role"], "canary");
  EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["uid"], "u1");
  EXPECT_EQ(pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
            "ImagePullBackOff");
}

TEST_F(FailingKubeletTest, ScaledToZeroOrFixedTemplateRemovesTheFailingPods) {
  model.observe(deployment(1, "CrashLoopBackOff"), t0);
  model.advance(t0 + milliseconds(1000));
  ASSERT_EQ(model.failingPods(wall).size(), 1u);
  model.observe(deployment(0, "CrashLoopBackOff", 2), t0 + milliseconds(2000));
  model.advance(t0 + milliseconds(4000));
  EXPECT_TRUE(model.failingPods(wall).empty());

  model.observe(deployment(1, "OOMKilled", 3), t0 + milliseconds(5000));
  model.advance(t0 + milliseconds(6000));
  ASSERT_EQ(model.failingPods(wall).size(), 1u);
  model.observe(deployment(1, "", 4), t0 + milliseconds(7000));
  model.advance(t0 + milliseconds(8000));
  EXPECT_TRUE(model.failingPods(wall).empty());
  EXPECT_EQ(model.readyView("ml", "m-canary").ready_replicas, 1);
}

TEST(SimulationPods, CreatesFailingPodsOnceAndDeletesThemWhenGone) {
  MetricsStore metrics;
  SimulationOptions options;
  options.ready_delay = milliseconds(100);
  Simulation sim(options, metrics);
  const SteadyTime t0{};
  const SystemTime wall{std::chrono::seconds(1'800'000'000)};
  ClusterSnapshot snap;
  snap.deployments.push_back(std::make_shared<const Json>(deployment(2, "Unschedulable")));
  sim.tick(snap, t0, wall, milliseconds(0));
  sim.tick(snap, t0 + milliseconds(200), wall, milliseconds(200));
  auto writes = sim.podWrites(wall);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_TRUE(writes[0].create);
  EXPECT_EQ(writes[0].pod["status"]["conditions"][0]["reason"], "Unschedulable");
  for (const auto& w : writes)
    sim.podWritten(w);
  EXPECT_TRUE(sim.podWrites(wall).empty()) << "written pods are not written again";

  snap.deployments.clear();
  sim.tick(snap, t0 + milliseconds(300), wall, milliseconds(100));
  writes = sim.podWrites(wall);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_FALSE(writes[0].create);
}

}  // namespace
}  // namespace mr::sim
