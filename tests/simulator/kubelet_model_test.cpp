#include "e2e/simulator/kubelet_model.h"

#include <gtest/gtest.h>

namespace mr::sim {
namespace {

using std::chrono::milliseconds;

Json deployment(int replicas, const std::string& image, int generation) {
  return {{"metadata", {{"namespace", "ml"}, {"name", "m-stable"}, {"generation", generation}}},
          {"spec",
           {{"replicas", replicas},
            {"template", {{"spec", {{"containers", {{{"name", "s"}, {"image", image}}}}}}}}}}};
}

std::string conditionReason(const Json& status, const std::string& type) {
  for (const auto& c : status["conditions"]) {
    if (c["type"] == type)
      return c["status"].get<std::string>() + "/" + c["reason"].get<std::string>();
  }
  return "";
}

struct Counts {
  int replicas, updated, ready, available;
  bool operator==(const Counts&) const = default;
};
Counts countsOf(const Json& s) {
  return {s["replicas"], s["updatedReplicas"], s["readyReplicas"], s["availableReplicas"]};
}

class KubeletModelTest : public ::testing::Test {
 protected:
  Json status() const { return model.desiredStatus("ml", "m-stable", wall); }
  KubeletModel model{milliseconds(1000)};
  SteadyTime t0{};
  SystemTime wall{std::chrono::seconds(1'800'000'000)};
};

TEST_F(KubeletModelTest, NewDeploymentBecomesAvailableAfterDelay) {
  model.observe(deployment(3, "m:1", 1), t0);
  model.advance(t0 + milliseconds(999));
  Json s = status();
  EXPECT_EQ(countsOf(s), (Counts{3, 3, 0, 0}));
  EXPECT_EQ(s["unavailableReplicas"], 3);
  EXPECT_EQ(s["observedGeneration"], 1);
  EXPECT_EQ(conditionReason(s, "Available"), "False/MinimumReplicasUnavailable");
  EXPECT_EQ(conditionReason(s, "Progressing"), "True/ReplicaSetUpdated");
  EXPECT_EQ(model.readyView("ml", "m-stable").ready_replicas, 0);

  model.advance(t0 + milliseconds(1000));
  s = status();
  EXPECT_EQ(countsOf(s), (Counts{3, 3, 3, 3}));
  EXPECT_EQ(s["unavailableReplicas"], 0);
  EXPECT_EQ(conditionReason(s, "Available"), "True/MinimumReplicasAvailable");
  EXPECT_EQ(conditionReason(s, "Progressing"), "True/NewReplicaSetAvailable");
  EXPECT_EQ(s["conditions"][0]["lastTransitionTime"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(model.readyView("ml", "m-stable").ready_replicas, 3);
}

TEST_F(KubeletModelTest, RollingUpdateShowsOldReadyThenAllUpdated) {
  model.observe(deployment(2, "m:1", 1), t0);
  model.advance(t0 + milliseconds(1000));
  const Json old_template = *model.readyView("ml", "m-stable").ready_template;

  const SteadyTime t1 = t0 + milliseconds(5000);
  model.observe(deployment(2, "m:2", 2), t1);
  model.advance(t1 + milliseconds(500));
  Json s = status();
  EXPECT_EQ(countsOf(s), (Counts{2, 0, 2, 2}));
  EXPECT_EQ(s["observedGeneration"], 2);
  EXPECT_EQ(conditionReason(s, "Progressing"), "True/ReplicaSetUpdated");
  EXPECT_EQ(conditionReason(s, "Available"), "True/MinimumReplicasAvailable");
  EXPECT_EQ(*model.readyView("ml", "m-stable").ready_template, old_template)
      << "old pods keep serving during the rolling update";

  model.advance(t1 + milliseconds(1000));
  s = status();
  EXPECT_EQ(countsOf(s), (Counts{2, 2, 2, 2}));
  EXPECT_EQ(conditionReason(s, "Progressing"), "True/NewReplicaSetAvailable");
  EXPECT_EQ((*model.readyView("ml", "m-stable").ready_template)["spec"]["containers"][0]["image"],
            "m:2");
}

TEST_F(KubeletModelTest, NewerChangeRestartsTheDelay) {
  model.observe(deployment(1, "m:1", 1), t0);
  model.observe(deployment(1, "m:2", 2), t0 + milliseconds(800));
  model.advance(t0 + milliseconds(1500));
  EXPECT_EQ(countsOf(status()), (Counts{1, 1, 0, 0}));
  model.advance(t0 + milliseconds(1800));
  EXPECT_EQ(countsOf(status()), (Counts{1, 1, 1, 1}));
}

TEST_F(KubeletModelTest, ScaleToZeroIsImmediateWithZeroCounts) {
  model.observe(deployment(4, "m:1", 1), t0);
  model.advance(t0 + milliseconds(1000));
  model.observe(deployment(0, "m:1", 2), t0 + milliseconds(2000));
  model.advance(t0 + milliseconds(2000));
  Json s = status();
  EXPECT_EQ(countsOf(s), (Counts{0, 0, 0, 0}));
  EXPECT_EQ(s["observedGeneration"], 2);
  EXPECT_EQ(conditionReason(s, "Available"), "True/MinimumReplicasAvailable");
  EXPECT_EQ(conditionReason(s, "Progressing"), "True/NewReplicaSetAvailable");
  // A zero-replica canary with a new template also needs no delay.
  model.observe(deployment(0, "m:3", 3), t0 + milliseconds(2100));
  model.advance(t0 + milliseconds(2100));
  EXPECT_EQ(countsOf(status()), (Counts{0, 0, 0, 0}));
}

TEST_F(KubeletModelTest, ScaleUpWaitsScaleDownDoesNot) {
  model.observe(deployment(1, "m:1", 1), t0);
  model.advance(t0 + milliseconds(1000));
  model.observe(deployment(3, "m:1", 2), t0 + milliseconds(2000));
  model.advance(t0 + milliseconds(2100));
  EXPECT_EQ(countsOf(status()), (Counts{3, 3, 1, 1}));
  model.advance(t0 + milliseconds(3000));
  EXPECT_EQ(countsOf(status()), (Counts{3, 3, 3, 3}));
  model.observe(deployment(2, "m:1", 3), t0 + milliseconds(3100));
  model.advance(t0 + milliseconds(3100));
  EXPECT_EQ(countsOf(status()), (Counts{2, 2, 2, 2}));
}

TEST_F(KubeletModelTest, AlreadyCompleteDeploymentIsReadyAtOnceAfterRestart) {
  Json d = deployment(2, "m:1", 4);
  d["status"] = {{"observedGeneration", 4},
                 {"replicas", 2},
                 {"updatedReplicas", 2},
                 {"readyReplicas", 2},
                 {"availableReplicas", 2}};
  model.observe(d, t0);
  model.advance(t0);
  EXPECT_EQ(model.readyView("ml", "m-stable").ready_replicas, 2);
  EXPECT_TRUE(deploymentStatusEquivalent(status(), d["status"]) == false)
      << "conditions are missing from the old status, so one write adds them";
}

TEST_F(KubeletModelTest, ConditionTimesKeptWhenUnchanged) {
  model.observe(deployment(1, "m:1", 1), t0);
  model.advance(t0 + milliseconds(1000));
  Json d = deployment(1, "m:1", 1);
  d["status"] = status();
  model.observe(d, t0 + milliseconds(1100));
  wall += std::chrono::seconds(30);
  const Json later = status();
  EXPECT_EQ(later["conditions"][0]["lastTransitionTime"], "2027-01-15T08:00:00Z");
  EXPECT_TRUE(deploymentStatusEquivalent(later, d["status"]));
}

TEST(KubeletModelHashTest, TemplateHashStableAndSensitive) {
  const Json a = {{"spec", {{"containers", {{{"image", "a"}}}}}}};
  const Json b = {{"spec", {{"containers", {{{"image", "b"}}}}}}};
  EXPECT_EQ(KubeletModel::templateHash(a), KubeletModel::templateHash(Json::parse(a.dump())));
  EXPECT_NE(KubeletModel::templateHash(a), KubeletModel::templateHash(b));
  EXPECT_EQ(KubeletModel::templateHash(a).size(), 10u);
}

}  // namespace
}  // namespace mr::sim
