// Parsing (every error at once), template hash, conditions, history, merge patch and the
// managed-resource builders.
#include <gtest/gtest.h>

#include "rollout/conditions.h"
#include "rollout/managed_resources.h"
#include "rollout/merge_patch.h"
#include "rollout/modelrollout_parse.h"
#include "rollout/template_hash.h"
#include "tests/rollout/planner_harness.h"

namespace mr::rollout::testing {
namespace {

std::vector<std::string> paths(const SpecParseResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors)
    out.push_back(e.path);
  return out;
}

TEST(Parse, ValidSpecWithDefaults) {
  auto r = parseSpec(baseSpec());
  ASSERT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(r.spec->replicas, 4);
  EXPECT_EQ(r.spec->traffic_routing.kind, RouterKind::kGatewayApi);
  EXPECT_EQ(r.spec->steps[0], (Step{1, std::chrono::hours(1)}));
  EXPECT_EQ(r.spec->steps[2], (Step{100, std::chrono::milliseconds(0)}));
  EXPECT_EQ(r.spec->service.port, 80);
  EXPECT_EQ(r.spec->service.target_port, 8080);
  EXPECT_FALSE(r.spec->analysis.has_value());
}

TEST(Parse, ReportsEveryInvalidFieldAtOnce) {
  Json spec = baseSpec();
  spec["replicas"] = "four";
  spec["steps"] = Json::parse(R"([{"weight": 10, "hold": "1x"}, {"weight": 5}, {"weight": 90}])");
  spec["trafficRouting"]["istio"] = {{"virtualService", ""}};
  spec["service"] = {{"port", 70000}};
  spec["analysis"] = Json::parse(R"({"interval": "0s", "failureLimit": 0, "onNoData": "Pass",
      "onInconclusiveLimit": "Abort", "prometheus": {"address": "prometheus:9090"},
      "metrics": {"errorRate": {"max": -1}, "custom": [{"name": "Bad_Name", "query": ""}]}})");
  spec["template"]["metadata"]["labels"]["app"] = "other";
  spec["paused"] = "yes";
  auto r = parseSpec(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.spec.has_value());
  EXPECT_EQ(paths(r), (std::vector<std::string>{
                          "spec.replicas",
                          "spec.selector.matchLabels.app",
                          "spec.service.port",
                          "spec.trafficRouting",
                          "spec.trafficRouting.istio.virtualService",
                          "spec.steps[0].hold",
                          "spec.steps[1].weight",
                          "spec.steps[2].weight",
                          "spec.analysis.prometheus.address",
                          "spec.analysis.interval",
                          "spec.analysis.failureLimit",
                          "spec.analysis.onNoData",
                          "spec.analysis.onInconclusiveLimit",
                          "spec.analysis.metrics.errorRate.max",
                          "spec.analysis.metrics.custom[0].name",
                          "spec.analysis.metrics.custom[0].query",
                          "spec.analysis.metrics.custom[0]",
                          "spec.paused",
                      }))
      << r.summary();
  EXPECT_NE(r.summary().find("spec.steps[1].weight: must be greater than the previous step's "
                             "weight (10), got 5"),
            std::string::npos)
      << r.summary();
}

TEST(Parse, MissingTemplateAndEmptySteps) {
  auto r = parseSpec(Json::parse(R"({"steps": []})"));
  EXPECT_EQ(paths(r), (std::vector<std::string>{"spec.template", "spec.steps"}));
  r = parseSpec(Json::parse(R"({"template": {"spec": {"containers": []}}})"));
  EXPECT_EQ(paths(r), (std::vector<std::string>{"spec.template.spec.containers"}));
}

TEST(Parse, ObjectMeta) {
  auto m = parseObjectMeta(Json::parse(R"({"metadata": {"name": "a", "namespace": "ns",
      "uid": "u1", "generation": 7, "annotations": {"modelrollout.io/promote": "full"},
      "deletionTimestamp": "2027-01-01T00:00:00Z"}})"));
  EXPECT_EQ(m.name, "a");
  EXPECT_EQ(m.namespace_name, "ns");
  EXPECT_EQ(m.uid, "u1");
  EXPECT_EQ(m.generation, 7);
  EXPECT_EQ(m.annotations.at(kAnnotationPromote), "full");
  EXPECT_TRUE(m.deleting);
}

TEST(TemplateHash, StableAcrossKeyOrderAndSensitiveToContent) {
  Json a = Json::parse(
      R"({"metadata":{"labels":{"x":"1","app":"m"}},"spec":{"containers":[{"name":"s","image":"m:1"}]}})");
  Json b = Json::parse(
      R"({"spec":{"containers":[{"image":"m:1","name":"s"}]},"metadata":{"labels":{"app":"m","x":"1"}}})");
  EXPECT_EQ(podTemplateHash(a), podTemplateHash(b));
  EXPECT_EQ(podTemplateHash(a).size(), 10u);
  EXPECT_EQ(podTemplateHash(a).find_first_not_of("0123456789abcdef"), std::string::npos);
  b["spec"]["containers"][0]["image"] = "m:2";
  EXPECT_NE(podTemplateHash(a), podTemplateHash(b));
  // Pinned so the revision never changes between releases. Reference computed independently
  // in Python: h=0xcbf29ce484222325; for c in b'{}': h=((h^c)*0x100000001b3)%2**64
  // -> 08f44b07b5901a25; the revision is its first 10 hex characters.
  EXPECT_EQ(podTemplateHash(Json::object()), "08f44b07b5");
}

TEST(Conditions, TransitionTimeChangesOnlyWithStatus) {
  std::vector<Condition> cs;
  const SystemTime t1 = t0(), t2 = t0() + std::chrono::minutes(5);
  EXPECT_TRUE(setCondition(cs, kCondAvailable, "False", "StableUnavailable", "0/4", 1, t1));
  EXPECT_TRUE(setCondition(cs, kCondAvailable, "False", "StableUnavailable", "2/4", 2, t2));
  EXPECT_EQ(cs[0].last_transition_time, t1);
  EXPECT_EQ(cs[0].message, "2/4");
  EXPECT_EQ(cs[0].observed_generation, 2);
  EXPECT_FALSE(setCondition(cs, kCondAvailable, "False", "StableUnavailable", "2/4", 2, t2));
  EXPECT_TRUE(setCondition(cs, kCondAvailable, "True", "StableAvailable", "4/4", 2, t2));
  EXPECT_EQ(cs[0].last_transition_time, t2);
  EXPECT_EQ(cs.size(), 1u);
}

TEST(History, KeepsTheLastTwenty) {
  std::vector<HistoryEntry> h;
  for (int i = 0; i < 25; ++i)
    appendHistory(h, {t0(), "a", "b", "R" + std::to_string(i), ""});
  ASSERT_EQ(h.size(), 20u);
  EXPECT_EQ(h.front().reason, "R5");
  EXPECT_EQ(h.back().reason, "R24");
}

TEST(MergePatch, DiffNullsRemovedKeysAndRoundTrips) {
  Json from = Json::parse(R"({"a":1,"b":{"c":2,"d":3},"l":[1,2]})");
  Json to = Json::parse(R"({"a":1,"b":{"c":5},"l":[3],"n":"x"})");
  Json patch = createMergePatch(from, to);
  EXPECT_EQ(patch, Json::parse(R"({"b":{"c":5,"d":null},"l":[3],"n":"x"})"));
  EXPECT_EQ(applyMergePatch(from, patch), to);
  EXPECT_TRUE(createMergePatch(to, to).empty());
}

const Owner kOwner{"fraud", "ml", "uid-1"};

TEST(Builders, DeploymentCarriesLabelsOwnerAndImmutableSelector) {
  auto spec = *parseSpec(baseSpec()).spec;
  Json d = buildDeployment(kOwner, spec, Role::kCanary, spec.pod_template, 2, "abcdef0123");
  EXPECT_EQ(d["metadata"]["name"], "fraud-canary");
  EXPECT_EQ(d["metadata"]["namespace"], "ml");
  EXPECT_EQ(d["metadata"]["labels"][kLabelRole], "canary");
  EXPECT_EQ(d["metadata"]["labels"][kLabelRevision], "abcdef0123");
  const Json& ref = d["metadata"]["ownerReferences"][0];
  EXPECT_EQ(ref["apiVersion"], kApiVersion);
  EXPECT_EQ(ref["kind"], kKind);
  EXPECT_EQ(ref["uid"], "uid-1");
  EXPECT_EQ(ref["controller"], true);
  EXPECT_EQ(ref["blockOwnerDeletion"], true);
  EXPECT_EQ(d["spec"]["replicas"], 2);
  EXPECT_EQ(d["spec"]["selector"]["matchLabels"],
            Json({{"app", "m"}, {kLabelRollout, "fraud"}, {kLabelRole, "canary"}}));
  EXPECT_EQ(d["spec"]["template"]["metadata"]["labels"], Json({{"app", "m"},
                                                               {kLabelRollout, "fraud"},
                                                               {kLabelRole, "canary"},
                                                               {kLabelRevision, "abcdef0123"}}));
}

TEST(Builders, ServicesSelectRoleRevisionAndRootSelectsRollout) {
  auto spec = *parseSpec(baseSpec()).spec;
  Json s = buildService(kOwner, spec, Role::kStable, "abcdef0123");
  EXPECT_EQ(s["metadata"]["name"], "fraud-stable");
  EXPECT_EQ(
      s["spec"]["selector"],
      Json({{kLabelRollout, "fraud"}, {kLabelRole, "stable"}, {kLabelRevision, "abcdef0123"}}));
  EXPECT_EQ(s["spec"]["ports"][0]["port"], 80);
  EXPECT_EQ(s["spec"]["ports"][0]["targetPort"], 8080);
  Json root = buildRootService(kOwner, spec);
  EXPECT_EQ(root["metadata"]["name"], "fraud");
  EXPECT_EQ(root["spec"]["selector"], Json({{kLabelRollout, "fraud"}}));
}

// docs/api.md: spec.service.port and targetPort (a number or a container port's name) are the
// ports of all three Services.
TEST(Builders, ServicePortsFollowSpecService) {
  for (const auto& [service, want_target] :
       std::vector<std::pair<Json, Json>>{{{{"port", 9000}}, 9000},
                                          {{{"port", 9000}, {"targetPort", "grpc"}}, "grpc"},
                                          {{{"targetPort", 8501}}, 8501}}) {
    Json json_spec = baseSpec();
    json_spec["service"] = service;
    auto spec = *parseSpec(json_spec).spec;
    const int want_port = service.value("port", 80);
    for (const Json& s : {buildService(kOwner, spec, Role::kStable, "abcdef0123"),
                          buildService(kOwner, spec, Role::kCanary, "0123abcdef"),
                          buildRootService(kOwner, spec)}) {
      EXPECT_EQ(s["spec"]["ports"][0]["port"], want_port) << s["metadata"]["name"];
      EXPECT_EQ(s["spec"]["ports"][0]["targetPort"], want_target) << s["metadata"]["name"];
    }
  }
}

TEST(Builders, PatchTouchesOnlyOwnedFields) {
  auto spec = *parseSpec(baseSpec()).spec;
  Json desired = buildDeployment(kOwner, spec, Role::kStable, spec.pod_template, 4, "rev1");
  // A live object as the server returns it: defaults inside the template, user annotations,
  // another owner, status.
  Json live = desired;
  live["metadata"]["annotations"] = {{"team", "ml"}};
  live["metadata"]["labels"]["extra"] = "user";
  live["metadata"]["ownerReferences"].push_back({{"uid", "other"}, {"kind", "Thing"}});
  live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent";
  live["spec"]["progressDeadlineSeconds"] = 600;
  EXPECT_FALSE(deploymentPatch(live, desired).has_value()) << "nothing owned differs";

  Json desired2 = buildDeployment(kOwner, spec, Role::kStable,
                                  withImage(baseSpec(), "m:9")["template"], 5, "rev2");
  auto patch = deploymentPatch(live, desired2);
  ASSERT_TRUE(patch.has_value());
  Json after = applyMergePatch(live, *patch);
  EXPECT_EQ(after["spec"]["replicas"], 5);
  EXPECT_EQ(after["spec"]["template"]["spec"]["containers"][0]["image"], "m:9");
  EXPECT_EQ(after["spec"]["template"]["metadata"]["labels"][kLabelRevision], "rev2");
  EXPECT_EQ(after["metadata"]["labels"][kLabelRevision], "rev2");
  EXPECT_EQ(after["metadata"]["annotations"]["team"], "ml");
  EXPECT_EQ(after["metadata"]["labels"]["extra"], "user");
  EXPECT_EQ(after["spec"]["progressDeadlineSeconds"], 600);
  EXPECT_FALSE(patch->contains("status"));
  EXPECT_FALSE((*patch)["spec"].contains("selector")) << "selectors are immutable";

  // Our ownerReference missing: it is added and the other owner is kept.
  Json orphan = live;
  orphan["metadata"]["ownerReferences"] = Json::array({{{"uid", "other"}, {"kind", "Thing"}}});
  auto p2 = deploymentPatch(orphan, desired);
  ASSERT_TRUE(p2.has_value());
  EXPECT_EQ((*p2)["metadata"]["ownerReferences"].size(), 2u);
}

TEST(Builders, ServicePatchIgnoresServerDefaultsAndDropsStaleSelectorKeys) {
  auto spec = *parseSpec(baseSpec()).spec;
  Json desired = buildService(kOwner, spec, Role::kStable, "");
  Json live = buildService(kOwner, spec, Role::kStable, "rev1");
  live["spec"]["ports"][0]["nodePort"] = 30080;
  live["spec"]["clusterIP"] = "10.0.0.7";
  auto patch = servicePatch(live, desired);
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(*patch, Json::parse(R"({"spec":{"selector":{"modelrollout.io/revision":null}}})"));
  live = applyMergePatch(live, *patch);
  EXPECT_FALSE(servicePatch(live, desired).has_value());
}

TEST(Builders, CanaryReplicasFor) {
  EXPECT_EQ(canaryReplicasFor(4, 1), 1);
  EXPECT_EQ(canaryReplicasFor(4, 10), 1);
  EXPECT_EQ(canaryReplicasFor(4, 50), 2);
  EXPECT_EQ(canaryReplicasFor(10, 100), 10);
  EXPECT_EQ(canaryReplicasFor(0, 50), 0);
}

}  // namespace
}  // namespace mr::rollout::testing
