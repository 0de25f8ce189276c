// PodKubelet (pod_kubelet.h): the simulator's kubelet when a real kube-controller-manager creates
// the pods (MR_API=kube): binds, makes ready after the delay, reports SIM_POD_FAILURE reasons,
// finishes deletions, and groups ready pods by the Deployment that owns their ReplicaSet.
#include "e2e/simulator/pod_kubelet.h"

#include <gtest/gtest.h>

#include "e2e/simulator/metrics_store.h"
#include "e2e/simulator/simulation.h"

namespace mr::sim {
namespace {

using std::chrono::milliseconds;
using Kind = PodAction::Kind;

std::shared_ptr<const Json> pod(const std::string& name, const std::string& hash,
                                const std::string& node = "", const std::string& failure = "",
                                bool ready = false, bool deleting = false) {
  Json container = {{"name", "server"}, {"image", "m:2"}};
  container["env"] = Json::array({{{"name", "SIM_ERROR_RATE"}, {"value", "0"}}});
  if (!failure.empty())
    container["env"].push_back({{"name", "SIM_POD_FAILURE"}, {"value", failure}});
  Json p = {{"metadata",
             {{"namespace", "ml"},
              {"name", name},
              {"uid", "uid-" + name},
              {"labels", {{"app", "m"}, {"pod-template-hash", hash}}},
              {"ownerReferences",
               Json::array({{{"kind", "ReplicaSet"}, {"name", "m-canary-" + hash}}})}}},
            {"spec", {{"containers", Json::array({container})}}},
            {"status", {{"phase", "Pending"}}}};
  if (!node.empty()) p["spec"]["nodeName"] = node;
  if (ready) p["status"] = PodKubelet::runningStatus(p, true, "t", "t");
  if (deleting) p["metadata"]["deletionTimestamp"] = "2026-11-30T00:00:00Z";
  return std::make_shared<const Json>(std::move(p));
}

const PodAction* find(const std::vector<PodAction>& actions, Kind kind, const std::string& name) {
  for (const auto& a : actions)
    if (a.kind == kind && a.name == name) return &a;
  return nullptr;
}

std::string readyOf(const Json& status) {
  for (const auto& c : status["conditions"])
    if (c["type"] == "Ready") return c["status"];
  return "";
}

TEST(PodKubelet, BindsUnboundPodsToItsNodeOnce) {
  PodKubelet k(milliseconds(1000), "mr-sim-node");
  const SteadyTime t0{};
  auto actions = k.tick({pod("p1", "h1")}, t0, SystemTime{});
  const PodAction* bind = find(actions, Kind::kBind, "p1");
  ASSERT_NE(bind, nullptr);
  EXPECT_EQ(bind->body["target"]["name"], "mr-sim-node");
  EXPECT_EQ(bind->body["kind"], "Binding");
  k.written(*bind, t0);
  EXPECT_EQ(
      find(k.tick({pod("p1", "h1")}, t0 + milliseconds(100), SystemTime{}), Kind::kBind, "p1"),
      nullptr);
  // Not echoed after the rewrite delay: sent again.
  EXPECT_NE(
      find(k.tick({pod("p1", "h1")}, t0 + milliseconds(2500), SystemTime{}), Kind::kBind, "p1"),
      nullptr);
}

TEST(PodKubelet, BoundPodBecomesReadyAfterTheDelay) {
  PodKubelet k(milliseconds(1000), "n");
  const SteadyTime t0{};
  auto first = k.tick({pod("p1", "h1", "n")}, t0, SystemTime{});
  const PodAction* s = find(first, Kind::kStatus, "p1");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->body["phase"], "Running");
  EXPECT_EQ(readyOf(s->body), "False");
  auto later = k.tick({pod("p1", "h1", "n")}, t0 + milliseconds(1000), SystemTime{});
  s = find(later, Kind::kStatus, "p1");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(readyOf(s->body), "True");
  EXPECT_TRUE(s->body["podIP"].is_string());
}

TEST(PodKubelet, FailingTemplatesReportTheKubeletsReasonAndUnschedulableIsNotBound) {
  PodKubelet k(milliseconds(0), "n");
  auto actions =
      k.tick({pod("a", "h1", "n", "ImagePullBackOff"), pod("b", "h1", "", "Unschedulable")},
             SteadyTime{}, SystemTime{});
  const PodAction* a = find(actions, Kind::kStatus, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->body["containerStatuses"][0]["state"]["waiting"]["reason"], "ImagePullBackOff");
  EXPECT_EQ(find(actions, Kind::kBind, "b"), nullptr);
  const PodAction* b = find(actions, Kind::kStatus, "b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->body["conditions"][0]["reason"], "Unschedulable");
}

TEST(PodKubelet, TerminatingPodsAreDeletedWithGraceZero) {
  PodKubelet k(milliseconds(0), "n");
  auto actions = k.tick({pod("p", "h1", "n", "", true, true)}, SteadyTime{}, SystemTime{});
  const PodAction* d = find(actions, Kind::kDelete, "p");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->body["gracePeriodSeconds"], 0);
  EXPECT_EQ(d->body["preconditions"]["uid"], "uid-p");
  EXPECT_TRUE(k.readyGroups("ml", "m-canary").empty());  // a terminating pod serves nothing
}

TEST(PodKubelet, ReadyPodsAreGroupedByDeploymentAndTemplate) {
  PodKubelet k(milliseconds(0), "n");
  k.tick({pod("a", "h1", "n", "", true), pod("b", "h1", "n", "", true),
          pod("c", "h2", "n", "", true), pod("d", "h2", "n", "", false)},
         SteadyTime{}, SystemTime{});
  auto groups = k.readyGroups("ml", "m-canary");
  ASSERT_EQ(groups.size(), 2u);
  int total = 0;
  for (const auto& g : groups) {
    total += g.ready;
    EXPECT_EQ(g.ready, g.hash == "h1" ? 2 : 1);
  }
  EXPECT_EQ(total, 3);
  EXPECT_TRUE(k.readyGroups("ml", "m-stable").empty());
}

TEST(PodKubelet, KubeletOnlySimulationWritesNoDeploymentStatusAndServesFromReadyPods) {
  MetricsStore metrics;
  SimulationOptions options;
  options.kubelet_only = true;
  options.rate = 1000;
  Simulation sim(options, metrics);
  ClusterSnapshot snap;
  snap.deployments.push_back(std::make_shared<const Json>(
      Json{{"metadata", {{"namespace", "ml"}, {"name", "m-canary"}, {"generation", 1}}},
           {"spec", {{"replicas", 1}}}}));
  snap.rollouts.push_back(std::make_shared<const Json>(
      Json{{"metadata", {{"namespace", "ml"}, {"name", "m"}}}, {"spec", Json::object()}}));
  snap.pods.push_back(pod("a", "h1", "n", "", true));
  auto writes = sim.tick(snap, SteadyTime{}, SystemTime{}, std::chrono::seconds(1));
  EXPECT_TRUE(writes.empty());
  EXPECT_TRUE(sim.podWrites(SystemTime{}).empty());
  // Replica ratio with only a canary: every request goes to the ready canary pod.
  EXPECT_EQ(sim.lastSplit("ml", "m").canary_weight, 1);
  EXPECT_EQ(sim.lastSplit("ml", "m").stable_weight, 0);
}

}  // namespace
}  // namespace mr::sim
