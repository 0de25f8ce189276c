#include "plugin/render.h"

#include <gtest/gtest.h>

#include "common/time_format.h"
#include "tests/plugin/sample_rollout.h"

namespace mr::plugin {
namespace {

SystemTime at(const char* rfc3339) {
  return *parseRfc3339(rfc3339);
}

TEST(WeightBarTest, TwentyCellsOfFivePercent) {
  EXPECT_EQ(weightBar(0), "[....................] 0%");
  EXPECT_EQ(weightBar(1), "[....................] 1%");
  EXPECT_EQ(weightBar(3), "[#...................] 3%");
  EXPECT_EQ(weightBar(10), "[##..................] 10%");
  EXPECT_EQ(weightBar(50), "[##########..........] 50%");
  EXPECT_EQ(weightBar(100), "[####################] 100%");
}

TEST(FormatAgeTest, KubectlUnits) {
  using std::chrono::seconds;
  EXPECT_EQ(formatAge(seconds(-5)), "0s");
  EXPECT_EQ(formatAge(seconds(45)), "45s");
  EXPECT_EQ(formatAge(seconds(119)), "119s");
  EXPECT_EQ(formatAge(seconds(600)), "10m");
  EXPECT_EQ(formatAge(seconds(5 * 3600)), "5h");
  EXPECT_EQ(formatAge(seconds(3 * 86400)), "3d");
  EXPECT_EQ(formatAge(seconds(3 * 365 * 86400)), "3y");
}

TEST(RenderListTest, Table) {
  nlohmann::json healthy = {{"metadata",
                             {{"name", "ads-ranker"},
                              {"namespace", "ads"},
                              {"creationTimestamp", "2027-01-12T10:00:00Z"}}},
                            {"status",
                             {{"phase", "Healthy"},
                              {"stableRevision", "55aa"},
                              {"currentStep", 3},
                              {"canaryWeight", 0}}}};
  nlohmann::json fresh = {{"metadata", {{"name", "new"}, {"namespace", "ml"}}}};
  nlohmann::json list = {{"items", {testing::sampleRollout(), healthy, fresh}}};
  EXPECT_EQ(renderList(list, at("2027-01-15T10:00:00Z"), false),
            "NAME           PHASE         STEP   WEIGHT   STABLE      CANARY      AGE\n"
            "ads-ranker     Healthy       -      0%       55aa        -           3d\n"
            "fraud-scorer   Progressing   2/4    10%      6d4f9c8b7   7b8e21aa0   4h\n"
            "new            <none>        -      -        -           -           <unknown>\n");
  EXPECT_EQ(renderList(list, at("2027-01-15T10:00:00Z"), true).substr(0, 24),
            "NAMESPACE   NAME        ");
  EXPECT_EQ(renderList(nlohmann::json{{"items", nlohmann::json::array()}}, SystemTime(), false),
            "No ModelRollouts found.\n");
}

TEST(RenderStatusTest, FullView) {
  nlohmann::json events = nlohmann::json::parse(R"({"items": [
    {"type": "Normal", "reason": "StepAdvanced", "message": "weight 10%, read back 10%",
     "lastTimestamp": "2027-01-15T08:00:00Z", "count": 1},
    {"type": "Normal", "reason": "AnalysisPassed", "message": "errorRate 0.0004 <= 0.001",
     "lastTimestamp": "2027-01-15T09:59:00Z", "count": 3},
    {"type": "Normal", "reason": "RolloutStarted", "message": "canary 7b8e21aa0",
     "lastTimestamp": "2027-01-14T07:00:00Z"}]})");
  const std::string expected =
      "Name:        fraud-scorer\n"
      "Namespace:   ml\n"
      "Phase:       Progressing\n"
      "Message:     step 2/4: analysis passing\n"
      "Step:        2/4 (weight 10%, hold 48h, 46h left)\n"
      "Weight:      [##..................] 10%\n"
      "Stable:      6d4f9c8b7\n"
      "Canary:      7b8e21aa0\n"
      "Analysis:    Pass at 2027-01-15T09:59:00Z (step 2, revision 7b8e21aa0): all checks passed\n"
      "  METRIC       VALUE    THRESHOLD   BOUNDS            SAMPLES   VERDICT        MESSAGE\n"
      "  errorRate    0.0004   <= 0.001    [1e-05, 0.0009]   1520      Pass\n"
      "  latencyP99   0.082    <= 100ms    -                 1520      Pass\n"
      "  drift        -        <= 0.2      -                 12        Inconclusive   12 samples "
      "< minSampleSize 500\n"
      "Conditions:\n"
      "  TYPE          STATUS   REASON            AGE   MESSAGE\n"
      "  Available     True     StableAvailable   4h    4/4 ready\n"
      "  Progressing   True     StepHolding       2h    holding step 2\n"
      "History:\n"
      "  AGE   FROM      TO            REASON        MESSAGE\n"
      "  5d    -         Healthy       FirstDeploy   deployed 6d4f9c8b7\n"
      "  27h   Healthy   Progressing   NewRevision   canary 7b8e21aa0\n"
      "Events:\n"
      "  AGE   TYPE     REASON                MESSAGE\n"
      "  27h   Normal   RolloutStarted        canary 7b8e21aa0\n"
      "  2h    Normal   StepAdvanced          weight 10%, read back 10%\n"
      "  60s   Normal   AnalysisPassed (x3)   errorRate 0.0004 <= 0.001\n";
  EXPECT_EQ(renderStatus(testing::sampleRollout(), events, at("2027-01-15T10:00:00Z")), expected);
}

TEST(RenderStatusTest, HoldElapsedPausedAndUnobservedGeneration) {
  auto rollout = testing::sampleRollout();
  rollout["spec"]["paused"] = true;
  rollout["metadata"]["generation"] = 4;
  const std::string out = renderStatus(rollout, nullptr, at("2027-01-18T10:00:00Z"));
  EXPECT_NE(out.find("Paused:      yes (spec.paused)\n"), std::string::npos);
  EXPECT_NE(out.find("Step:        2/4 (weight 10%, hold 48h, elapsed)\n"), std::string::npos);
  EXPECT_NE(out.find("not yet acted on generation 4"), std::string::npos);
  EXPECT_EQ(out.find("Events:"), std::string::npos);
}

// Seen in make demo: while promoting currentStep is len(steps), shown as "Step: 5/4".
TEST(RenderStatusTest, PromotingShowsAllStepsPassedNotAStepBeyondTheLast) {
  auto rollout = testing::sampleRollout();
  rollout["status"]["phase"] = "Promoting";
  rollout["status"]["currentStep"] = 4;
  const std::string out =
      renderStatus(rollout, nlohmann::json::object(), at("2027-01-15T10:00:00Z"));
  EXPECT_NE(out.find("Step:        4/4 (all passed)\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("5/4"), std::string::npos) << out;
}

// The list's STEP column had the same bug: "5/4" while promoting (currentStep == len(steps)).
TEST(RenderListTest, PromotingStepColumnIsNotBeyondTheLastStep) {
  auto rollout = testing::sampleRollout();
  rollout["status"]["phase"] = "Promoting";
  rollout["status"]["currentStep"] = 4;
  const std::string out =
      renderList(nlohmann::json{{"items", {rollout}}}, at("2027-01-15T10:00:00Z"), false);
  EXPECT_NE(out.find(" 4/4 "), std::string::npos) << out;
  EXPECT_EQ(out.find("5/4"), std::string::npos) << out;
}

// The controller's status.currentStepDisplay (the CRD's Step column) is what the plugin shows.
TEST(RenderListTest, StepColumnIsTheControllersDisplay) {
  auto rollout = testing::sampleRollout();
  rollout["status"]["currentStepDisplay"] = "3/4";
  const std::string out =
      renderList(nlohmann::json{{"items", {rollout}}}, at("2027-01-15T10:00:00Z"), false);
  EXPECT_NE(out.find(" 3/4 "), std::string::npos) << out;
}

TEST(RenderStatusTest, KeepsOnlyTheLastHistoryAndEventRows) {
  auto rollout = testing::sampleRollout();
  auto& history = rollout["status"]["history"];
  history = nlohmann::json::array();
  for (int i = 0; i < 20; ++i) {
    history.push_back({{"time", "2027-01-15T09:00:00Z"},
                       {"from", "A"},
                       {"to", "B"},
                       {"reason", "R" + std::to_string(i)}});
  }
  const std::string out = renderStatus(rollout, nullptr, at("2027-01-15T10:00:00Z"), 3);
  EXPECT_EQ(out.find(" R16 "), std::string::npos);
  EXPECT_NE(out.find(" R17\n"), std::string::npos);
  EXPECT_NE(out.find(" R19\n"), std::string::npos);
}

TEST(RenderStatusTest, HealthyHidesStepAndShowsNoCanary) {
  nlohmann::json rollout = {{"metadata", {{"name", "a"}, {"namespace", "ml"}, {"generation", 1}}},
                            {"status",
                             {{"phase", "Healthy"},
                              {"observedGeneration", 1},
                              {"stableRevision", "55aa"},
                              {"currentStep", 3},
                              {"canaryWeight", 0}}}};
  EXPECT_EQ(renderStatus(rollout, nullptr, SystemTime()),
            "Name:        a\nNamespace:   ml\nPhase:       Healthy\n"
            "Weight:      [....................] 0%\nStable:      55aa\n");
}

TEST(WatchExitCodeTest, EndsOnTerminalPhasesOfTheLatestGeneration) {
  auto rollout = testing::sampleRollout();
  EXPECT_EQ(watchExitCode(rollout), std::nullopt);
  rollout["status"]["phase"] = "Healthy";
  EXPECT_EQ(watchExitCode(rollout), 0);
  rollout["status"]["phase"] = "RolledBack";
  EXPECT_EQ(watchExitCode(rollout), 1);
  rollout["status"]["phase"] = "Degraded";
  EXPECT_EQ(watchExitCode(rollout), 2);
  rollout["status"]["phase"] = "Paused";
  EXPECT_EQ(watchExitCode(rollout), std::nullopt);
  rollout["status"]["phase"] = "Healthy";
  rollout["metadata"]["generation"] = 4;  // a new template the controller has not seen yet
  EXPECT_EQ(watchExitCode(rollout), std::nullopt);
}

}  // namespace
}  // namespace mr::plugin
