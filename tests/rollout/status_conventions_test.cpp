// Status written for Kubernetes' conventions: metav1.Condition reasons and messages within the
// CRD's patterns and limits, and the scale-subresource fields (replica counts, selector, the
// Ready and Step display strings).
#include <gtest/gtest.h>

#include <regex>

#include "rollout/conditions.h"
#include "rollout/scale_status.h"
#include "tests/rollout/planner_harness.h"

namespace mr::rollout::testing {
namespace {

const std::regex kReasonPattern("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$");

TEST(ConditionConventions, ReasonOutsideThePatternIsMadeValid) {
  EXPECT_EQ(conditionReason("StableAvailable"), "StableAvailable");
  EXPECT_EQ(conditionReason("route not-found"), "RouteNotFound");
  EXPECT_EQ(conditionReason("no data"), "NoData");
  EXPECT_EQ(conditionReason("5xx: too many,"), "Xx:TooMany");
  EXPECT_EQ(conditionReason(""), "Unknown");
  EXPECT_EQ(conditionReason("!!!"), "Unknown");
  EXPECT_EQ(conditionReason(std::string(2000, 'a')).size(), kMaxConditionReason);
  for (const char* r : {"a:b", "x,", "_y", "Ok_", "é-bad"}) {
    EXPECT_TRUE(std::regex_match(conditionReason(r), kReasonPattern)) << r;
  }
}

TEST(ConditionConventions, MessageOverTheLimitIsCutOnACharacterBoundary) {
  EXPECT_EQ(conditionMessage("short"), "short");
  // 'é' is two bytes: an odd limit would split the last one.
  std::string long_message;
  while (long_message.size() < kMaxConditionMessage + 10)
    long_message += "\xC3\xA9";
  const std::string cut = conditionMessage(long_message);
  EXPECT_LE(cut.size(), kMaxConditionMessage);
  EXPECT_GE(cut.size(), kMaxConditionMessage - 1);
  EXPECT_EQ(cut.size() % 2, 0u) << "a character was cut in half";
}

TEST(ConditionConventions, SetConditionStoresValidReasonAndBoundedMessage) {
  std::vector<Condition> cs;
  setCondition(cs, kCondAnalysis, "False", "no data", std::string(40000, 'm'), 1, t0());
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].reason, "NoData");
  EXPECT_EQ(cs[0].message.size(), kMaxConditionMessage);
  // The same request again changes nothing (no status write every pass).
  EXPECT_FALSE(
      setCondition(cs, kCondAnalysis, "False", "no data", std::string(40000, 'm'), 1, t0()));
}

// A lastAnalysis read back from status carries whatever verdict text was stored; it became the
// Analysis condition's reason as it was, and a reason outside the pattern makes the API server
// refuse every later status write of the rollout.
TEST(ConditionConventions, ForeignStoredVerdictDoesNotBecomeAnInvalidReason) {
  Harness h;
  h.spec["analysis"] = Json::object();
  h.step();  // first deploy
  h.status.last_analysis = LastAnalysis{t0(), 0, "abc", "not judged", "m", {}};
  Plan p = h.run();
  bool found = false;
  for (const auto& c : p.status.conditions) {
    EXPECT_TRUE(std::regex_match(c.reason, kReasonPattern)) << c.type << ": " << c.reason;
    found = found || c.type == kCondAnalysis;
  }
  EXPECT_TRUE(found) << "no Analysis condition";
}

ObservedDeployment deployment(int replicas, int total, int ready, int available) {
  ObservedDeployment d;
  d.exists = true;
  d.replicas = replicas;
  d.total_replicas = total;
  d.ready_replicas = ready;
  d.available_replicas = available;
  return d;
}

TEST(ScaleStatus, CountsPodsOfBothDeploymentsAndShowsStepOneBased) {
  RolloutStatus s;
  s.canary_revision = "bbbbbbbbbb";
  s.current_step = 1;
  ObservedWorld w;
  w.stable = deployment(4, 5, 4, 3);  // a rolling update's surge pod counts too
  w.canary = deployment(1, 1, 1, 1);
  setScaleStatus(s, {Json::parse(R"({"matchLabels": {"app": "m"}})"), "fraud", 4, 4}, w);
  EXPECT_EQ(s.replicas, 6);
  EXPECT_EQ(s.ready_replicas, 5);
  EXPECT_EQ(s.available_replicas, 4);
  EXPECT_EQ(s.ready_display, "5/5");
  EXPECT_EQ(s.current_step_display, "2/4");
  EXPECT_EQ(s.selector, "app=m,modelrollout.io/rollout=fraud");
}

TEST(ScaleStatus, PromotingShowsTheLastStepAndNoCanaryShowsNone) {
  RolloutStatus s;
  s.canary_revision = "bbbbbbbbbb";
  s.current_step = 3;  // == len(steps) while promoting
  ObservedWorld w;
  setScaleStatus(s, {Json(), "m", 2, 3}, w);
  EXPECT_EQ(s.current_step_display, "3/3");
  EXPECT_EQ(s.ready_display, "0/2");
  s.canary_revision.clear();
  setScaleStatus(s, {Json(), "m", 2, 3}, w);
  EXPECT_EQ(s.current_step_display, "-");
  EXPECT_EQ(s.selector, "modelrollout.io/rollout=m");
}

TEST(ScaleStatus, SpecThatDidNotParseKeepsTheStoredStep) {
  RolloutStatus s;
  s.canary_revision = "bbbbbbbbbb";
  s.current_step_display = "2/4";
  setScaleStatus(s, {Json(), "m", 1, std::nullopt}, ObservedWorld{});
  EXPECT_EQ(s.current_step_display, "2/4");
}

TEST(ScaleStatus, SelectorStringFollowsKubernetesFormat) {
  const Json selector = Json::parse(R"({
    "matchLabels": {"tier": "ml", "app": "m"},
    "matchExpressions": [
      {"key": "zone", "operator": "In", "values": ["b", "a"]},
      {"key": "canary", "operator": "DoesNotExist"},
      {"key": "env", "operator": "NotIn", "values": ["dev"]},
      {"key": "gpu", "operator": "Exists"}]})");
  EXPECT_EQ(labelSelectorString(selector, {{"modelrollout.io/rollout", "r"}}),
            "app=m,!canary,env notin (dev),gpu,modelrollout.io/rollout=r,tier=ml,zone in (a,b)")
      << "requirements sorted by key, as labels.Selector.String() does";
  // The rollout label wins over a user label of the same key (the pods carry ours).
  EXPECT_EQ(labelSelectorString(Json::parse(R"({"matchLabels": {"modelrollout.io/rollout": "x"}})"),
                                {{"modelrollout.io/rollout", "r"}}),
            "modelrollout.io/rollout=r");
}

}  // namespace
}  // namespace mr::rollout::testing
