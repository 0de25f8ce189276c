#include "e2e/simulator/simulation.h"

#include <gtest/gtest.h>

#include "e2e/simulator/synthetic_fleet.h"

namespace mr::sim {
namespace {

using std::chrono::milliseconds;

ObjectPtr object(Json j) {
  return std::make_shared<const Json>(std::move(j));
}

Json deployment(const std::string& name, int replicas, const std::string& revision,
                double error_rate) {
  return fleetDeployment("ml", name, replicas, revision, error_rate);
}

Json rollout(const std::string& routing) {
  Json r = {{"metadata", {{"namespace", "ml"}, {"name", "m"}}}, {"spec", {{"replicas", 2}}}};
  if (routing == "gateway") r["spec"]["trafficRouting"] = {{"gatewayAPI", {{"httpRoute", "m"}}}};
  return r;
}

Json httpRoute(int stable, int canary) {
  return {{"metadata", {{"namespace", "ml"}, {"name", "m"}}},
          {"spec",
           {{"rules",
             {{{"backendRefs",
                {{{"name", "m-stable"}, {"weight", stable}},
                 {{"name", "m-canary"}, {"weight", canary}}}}}}}}}};
}

class SimulationTest : public ::testing::Test {
 protected:
  // Runs `seconds` of 100 ms ticks, echoing status writes back like an API server + watch.
  void run(int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
      now += milliseconds(100);
      auto writes = sim.tick(snapshot, now, SystemTime{}, milliseconds(100));
      for (const auto& w : writes) {
        ++write_count;
        for (auto& d : snapshot.deployments) {
          if ((*d)["metadata"]["name"] == w.name) {
            Json copy = *d;
            copy["status"] = w.status;
            d = object(copy);
          }
        }
        sim.statusWritten(w, now);
      }
    }
  }

  MetricsStore store;
  Simulation sim{SimulationOptions{100.0, milliseconds(1000), milliseconds(2000), 17}, store};
  ClusterSnapshot snapshot;
  SteadyTime now{};
  int write_count = 0;
};

TEST_F(SimulationTest, HttpRouteSplitAndBehaviourPerRole) {
  snapshot.deployments = {object(deployment("m-stable", 2, "s1", 0.0)),
                          object(deployment("m-canary", 1, "c1", 0.2))};
  snapshot.rollouts = {object(rollout("gateway"))};
  snapshot.http_routes = {object(httpRoute(80, 20))};
  run(2);
  // Two writes per Deployment (progressing, then available), no repeats once echoed.
  EXPECT_EQ(write_count, 4);
  EXPECT_EQ(sim.lastSplit("ml", "m"), (TrafficSplit{80, 20}));
  run(60);
  EXPECT_EQ(write_count, 4);
  const uint64_t stable = store.requests({"ml", "m", "stable", "s1"}, "200") +
                          store.requests({"ml", "m", "stable", "s1"}, "500");
  const uint64_t canary_ok = store.requests({"ml", "m", "canary", "c1"}, "200");
  const uint64_t canary_err = store.requests({"ml", "m", "canary", "c1"}, "500");
  const uint64_t unavailable = store.requests({"ml", "m", "stable", "s1"}, "503") +
                               store.requests({"ml", "m", "canary", "c1"}, "503");
  // 62 s at 100 rps; the first second hit unready pods (503).
  EXPECT_EQ(stable + canary_ok + canary_err + unavailable, 6200u);
  EXPECT_NEAR(static_cast<double>(unavailable), 100, 5);
  EXPECT_EQ(store.requests({"ml", "m", "stable", "s1"}, "500"), 0u);
  EXPECT_NEAR(static_cast<double>(canary_ok + canary_err) / 6100.0, 0.2, 0.02);
  EXPECT_NEAR(static_cast<double>(canary_err) / static_cast<double>(canary_ok + canary_err), 0.2,
              0.04);
}

TEST_F(SimulationTest, RouteChangeIsFollowedAndMissingRouteSendsNothing) {
  snapshot.deployments = {object(deployment("m-stable", 1, "s1", 0)),
                          object(deployment("m-canary", 1, "c1", 0))};
  snapshot.rollouts = {object(rollout("gateway"))};
  run(2);
  EXPECT_EQ(store.seriesCount(), 0u) << "no HTTPRoute yet: no traffic";
  snapshot.http_routes = {object(httpRoute(100, 0))};
  run(10);
  EXPECT_EQ(store.requests({"ml", "m", "canary", "c1"}, "200"), 0u);
  snapshot.http_routes = {object(httpRoute(0, 100))};
  const uint64_t stable_before = store.requests({"ml", "m", "stable", "s1"}, "200");
  run(10);
  EXPECT_EQ(store.requests({"ml", "m", "stable", "s1"}, "200"), stable_before);
  EXPECT_EQ(store.requests({"ml", "m", "canary", "c1"}, "200"), 1000u);
}

TEST_F(SimulationTest, ReplicaRatioAndRollingUpdateServesOldRevisionUntilReady) {
  snapshot.deployments = {object(deployment("m-stable", 3, "s1", 0)),
                          object(deployment("m-canary", 1, "c1", 0))};
  snapshot.rollouts = {object(rollout("none"))};
  run(12);
  EXPECT_EQ(sim.lastSplit("ml", "m"), (TrafficSplit{3, 1}));
  const double canary = static_cast<double>(store.requests({"ml", "m", "canary", "c1"}, "200"));
  EXPECT_NEAR(canary / 1100.0, 0.25, 0.03);

  // Promote: the stable Deployment gets the canary's template; old pods serve until ready.
  Json promoted = deployment("m-stable", 3, "c1", 0);
  promoted["metadata"]["generation"] = 2;
  snapshot.deployments[0] = object(promoted);
  snapshot.deployments[1] = object(deployment("m-canary", 0, "c1", 0));
  const uint64_t old_rev = store.requests({"ml", "m", "stable", "s1"}, "200");
  now += milliseconds(100);
  auto writes = sim.tick(snapshot, now, SystemTime{}, milliseconds(100));
  EXPECT_GT(store.requests({"ml", "m", "stable", "s1"}, "200"), old_rev);
  EXPECT_EQ(store.requests({"ml", "m", "stable", "c1"}, "200"), 0u);
  ASSERT_EQ(writes.size(), 2u);
  run(2);
  EXPECT_GT(store.requests({"ml", "m", "stable", "c1"}, "200"), 0u);
  EXPECT_EQ(sim.lastSplit("ml", "m"), (TrafficSplit{3, 0}));
}

TEST_F(SimulationTest, DeletedRolloutDropsItsSeriesAndDeploymentIsForgotten) {
  snapshot.deployments = {object(deployment("m-stable", 1, "s1", 0))};
  snapshot.rollouts = {object(rollout("none"))};
  run(3);
  EXPECT_GT(store.seriesCount(), 0u);
  snapshot.rollouts.clear();
  snapshot.deployments.clear();
  run(1);
  EXPECT_EQ(store.seriesCount(), 0u);
  EXPECT_TRUE(sim.kubelet().keys().empty());
}

}  // namespace
}  // namespace mr::sim

namespace mr::sim {
namespace {

// Many rollouts in one snapshot: each gets its own traffic, split by its own route. (How much
// CPU a tick costs at 500 rollouts is measured by bench/mr-bench-simulator, not here.)
TEST(SimulationFleetTest, EachRolloutServesItsOwnSplit) {
  MetricsStore store;
  Simulation sim{SimulationOptions{100.0, milliseconds(0), milliseconds(2000), 1}, store};
  const ClusterSnapshot snapshot = gatewayFleet(20, "ml");
  SteadyTime now{};
  sim.tick(snapshot, now, SystemTime{}, milliseconds(100));  // first sight of everything
  for (int i = 0; i < 50; ++i) {                             // 5 simulated seconds
    now += milliseconds(100);
    sim.tick(snapshot, now, SystemTime{}, milliseconds(100));
  }
  for (const std::string name : {"r0", "r7", "r19"}) {
    SCOPED_TRACE(name);
    // 100 rps x 5 s, split 90/10; stable answers 0.1% errors, canary 1%.
    EXPECT_NEAR(static_cast<double>(store.requests({"ml", name, "stable", "s"}, "200")), 450, 40);
    EXPECT_NEAR(static_cast<double>(store.requests({"ml", name, "canary", "c"}, "200")), 50, 20);
  }
  EXPECT_EQ(store.requests({"ml", "r20", "stable", "s"}, "200"), 0u) << "no such rollout";
}

}  // namespace
}  // namespace mr::sim
