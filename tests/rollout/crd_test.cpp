// The CRD YAML against the C++ types: names, printer columns, structural schema, defaults equal
// to the parser's defaults, status JSON valid against the status schema, and every example
// valid against the schema and accepted by parseSpec.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "rollout/modelrollout_parse.h"
#include "rollout/scale_status.h"
#include "rollout/status_json.h"
#include "tests/rollout/planner_harness.h"
#include "tests/rollout/yaml_json.h"

namespace mr::rollout::testing {
namespace {

using nlohmann::json;
const std::string kSource = MR_SOURCE_DIR;

json loadCrd() {
  auto docs = loadYamlFile(kSource + "/crds/modelrollout.io_modelrollouts.yaml");
  EXPECT_EQ(docs.size(), 1u);
  return docs.at(0);
}

const json& version(const json& crd) {
  return crd["spec"]["versions"][0];
}
const json& schema(const json& crd) {
  return version(crd)["schema"]["openAPIV3Schema"];
}

// Inside spec.template the schema is Kubernetes' PodTemplateSpec, generated without
// descriptions (tools/crd-schema/gen_template_schema.py says why); ours are on these nodes.
bool generatedWithoutDescription(const std::string& path) {
  const std::string tmpl = "root.spec.template.";
  return path.rfind(tmpl, 0) == 0 && path != tmpl + "metadata" && path != tmpl + "spec" &&
         path != tmpl + "spec.containers" && path != tmpl + "metadata.labels";
}

void checkStructural(const json& node, const std::string& path, std::vector<std::string>& errs) {
  const bool typed = node.contains("type") || node.value("x-kubernetes-int-or-string", false) ||
                     node.value("x-kubernetes-preserve-unknown-fields", false);
  if (!typed) errs.push_back(path + ": no type");
  if (!node.contains("description") && path.find("[]") == std::string::npos &&
      path != "root.metadata" && !generatedWithoutDescription(path)) {
    errs.push_back(path + ": no description");
  }
  for (const char* forbidden : {"allOf", "anyOf", "oneOf", "not"}) {
    if (node.contains(forbidden)) errs.push_back(path + ": uses " + forbidden);
  }
  const json props = node.value("properties", json::object());
  for (auto& [k, v] : props.items()) {
    checkStructural(v, path + "." + k, errs);
  }
  if (node.contains("items")) checkStructural(node["items"], path + "[]", errs);
  if (node.contains("additionalProperties") && node["additionalProperties"].is_object()) {
    checkStructural(node["additionalProperties"], path + "[]", errs);
  }
}

TEST(Crd, NamesVersionAndSubresources) {
  json crd = loadCrd();
  EXPECT_EQ(crd["apiVersion"], "apiextensions.k8s.io/v1");
  EXPECT_EQ(crd["metadata"]["name"], "modelrollouts.modelrollout.io");
  EXPECT_EQ(crd["spec"]["names"]["kind"], kKind);
  EXPECT_EQ(crd["spec"]["names"]["shortNames"], json({"mr", "mrs"}));
  EXPECT_EQ(crd["spec"]["names"]["categories"], json({"all"}));
  EXPECT_EQ(version(crd)["name"], "v1alpha1");
  EXPECT_TRUE(version(crd)["served"].get<bool>());
  EXPECT_TRUE(version(crd)["storage"].get<bool>());
  EXPECT_TRUE(version(crd)["subresources"].contains("status"));
  // kubectl scale and a HorizontalPodAutoscaler read and write these through /scale.
  EXPECT_EQ(version(crd)["subresources"]["scale"],
            json({{"specReplicasPath", ".spec.replicas"},
                  {"statusReplicasPath", ".status.replicas"},
                  {"labelSelectorPath", ".status.selector"}}));
  const json& status = schema(crd)["properties"]["status"]["properties"];
  EXPECT_EQ(status["replicas"]["type"], "integer");
  EXPECT_EQ(status["selector"]["type"], "string");
}

TEST(Crd, PrinterColumns) {
  json crd = loadCrd();
  std::vector<std::string> got;
  for (const auto& c : version(crd)["additionalPrinterColumns"]) {
    got.push_back(c["name"].get<std::string>() + "=" + c["jsonPath"].get<std::string>() + "/" +
                  std::to_string(c.value("priority", 0)));
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "Phase=.status.phase/0", "Weight=.status.canaryWeight/0",
                     "Step=.status.currentStepDisplay/0", "Stable=.status.stableRevision/0",
                     "Canary=.status.canaryRevision/0", "Ready=.status.readyDisplay/0",
                     "Available=.status.availableReplicas/0", "Age=.metadata.creationTimestamp/0",
                     "Message=.status.message/1"}));
}

TEST(Crd, SchemaIsStructuralWithDescriptions) {
  json crd = loadCrd();
  std::vector<std::string> errs;
  checkStructural(schema(crd), "root", errs);
  EXPECT_TRUE(errs.empty()) << ::testing::PrintToString(errs);
  const json& spec = schema(crd)["properties"]["spec"]["properties"];
  // The pod template is validated field by field, not preserved as it was written.
  EXPECT_FALSE(spec["template"].value("x-kubernetes-preserve-unknown-fields", false));
  EXPECT_FALSE(
      spec["template"]["properties"]["spec"].value("x-kubernetes-preserve-unknown-fields", false));
  EXPECT_EQ(spec["steps"]["x-kubernetes-validations"].size(), 2u);
  EXPECT_EQ(spec["trafficRouting"]["x-kubernetes-validations"].size(), 1u);
  const json& conditions = schema(crd)["properties"]["status"]["properties"]["conditions"];
  EXPECT_EQ(conditions["x-kubernetes-list-type"], "map");
  EXPECT_EQ(conditions["x-kubernetes-list-map-keys"], json({"type"}));
}

// metav1.Condition as Kubernetes generates it for CRDs (k8s.io/apimachinery meta/v1 types.go).
TEST(Crd, ConditionsFollowMetav1Condition) {
  json crd = loadCrd();
  const json& item = schema(crd)["properties"]["status"]["properties"]["conditions"]["items"];
  EXPECT_EQ(item["required"], json({"type", "status", "lastTransitionTime", "reason", "message"}));
  const json& p = item["properties"];
  EXPECT_EQ(p["reason"]["pattern"], "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$");
  EXPECT_EQ(p["reason"]["maxLength"], 1024);
  EXPECT_EQ(p["reason"]["minLength"], 1);
  EXPECT_EQ(p["message"]["maxLength"], 32768);
  EXPECT_EQ(p["lastTransitionTime"]["format"], "date-time");
  EXPECT_EQ(p["type"]["maxLength"], 316);
  EXPECT_EQ(p["status"]["enum"], json({"True", "False", "Unknown"}));
  EXPECT_EQ(p["observedGeneration"]["minimum"], 0);
}

// A typo inside the pod template (`resource:` for `resources:`) was pruned silently: the model
// ran without its GPU limit. The generated PodTemplateSpec schema makes it an unknown field,
// which kubectl's strict field validation rejects.
TEST(Crd, PodTemplateTypoIsAnUnknownFieldNotPreserved) {
  json crd = loadCrd();
  const json& tmpl = schema(crd)["properties"]["spec"]["properties"]["template"];
  json good = json::parse(R"({"metadata": {"labels": {"app": "m"}},
    "spec": {"containers": [{"name": "s", "image": "m:1",
      "ports": [{"containerPort": 8080}],
      "resources": {"limits": {"nvidia.com/gpu": 1, "cpu": 0.5, "memory": "1Gi"}},
      "readinessProbe": {"httpGet": {"path": "/", "port": "http"}}}]}})");
  std::vector<std::string> errs;
  validateSchema(tmpl, good, "spec.template", errs);
  EXPECT_TRUE(errs.empty()) << ::testing::PrintToString(errs);
  json typo = good;
  typo["spec"]["containers"][0]["resource"] = typo["spec"]["containers"][0]["resources"];
  typo["spec"]["containers"][0].erase("resources");
  errs.clear();
  validateSchema(tmpl, typo, "spec.template", errs);
  EXPECT_EQ(errs,
            std::vector<std::string>{"spec.template.spec.containers[0]: unknown field resource"});
}

TEST(Crd, DefaultsMatchTheParser) {
  json crd = loadCrd();
  json obj = {{"spec",
               {{"template", {{"spec", {{"containers", {{{"name", "s"}}}}}}}},
                {"analysis", json::object()}}}};
  applyDefaults(schema(crd), obj);
  const json& spec = obj["spec"];
  EXPECT_EQ(spec["steps"], json::parse(R"([{"weight":1,"hold":"24h"},{"weight":10,"hold":"48h"},
                                            {"weight":50,"hold":"72h"},{"weight":100}])"));
  // metrics is not defaulted by the server: listing a metric means judging only the listed
  // ones, so the four built-ins apply only while `metrics` is absent (issue 12).
  EXPECT_FALSE(spec["analysis"].contains("metrics")) << spec["analysis"].dump();
  EXPECT_EQ(spec["analysis"]["confidence"], 0.99);
  EXPECT_EQ(spec["analysis"]["inconclusiveTimeout"], "24h");
  // The server-defaulted object and the bare one parse to the same spec.
  auto defaulted = parseSpec(spec);
  auto bare = parseSpec(json{{"template", spec["template"]}, {"analysis", json::object()}});
  ASSERT_TRUE(defaulted.ok()) << defaulted.summary();
  ASSERT_TRUE(bare.ok()) << bare.summary();
  EXPECT_EQ(defaulted.spec->steps, bare.spec->steps);
  EXPECT_EQ(defaulted.spec->steps, defaultSteps());
  const auto& a = *defaulted.spec->analysis;
  const analysis::AnalysisSpec ref;
  EXPECT_EQ(a.prometheus.address, ref.prometheus.address);
  EXPECT_EQ(a.prometheus.timeout, ref.prometheus.timeout);
  EXPECT_EQ(a.interval, ref.interval);
  EXPECT_EQ(a.window, ref.window);
  EXPECT_EQ(a.failure_limit, ref.failure_limit);
  EXPECT_EQ(a.min_sample_size, ref.min_sample_size);
  EXPECT_EQ(a.confidence, ref.confidence);
  EXPECT_EQ(a.inconclusive_timeout, ref.inconclusive_timeout);
  for (const auto* t : {&a.error_rate, &a.latency_p99_ms, &a.drift, &a.mae_degradation}) {
    EXPECT_TRUE(t->enabled);
    EXPECT_FALSE(t->listed);
  }
  EXPECT_EQ(a.on_no_data, ref.on_no_data);
  EXPECT_EQ(a.on_inconclusive_limit, ref.on_inconclusive_limit);
  EXPECT_EQ(a.error_rate.max, ref.error_rate.max);
  EXPECT_EQ(a.latency_p99_ms.max, ref.latency_p99_ms.max);
  EXPECT_EQ(a.drift.max, ref.drift.max);
  EXPECT_EQ(a.mae_degradation.max, ref.mae_degradation.max);
  EXPECT_EQ(spec["replicas"], 1);
  EXPECT_EQ(spec["paused"], false);
  std::vector<std::string> errs;
  validateSchema(schema(crd)["properties"]["spec"], spec, "spec", errs);
  EXPECT_TRUE(errs.empty()) << ::testing::PrintToString(errs);
}

TEST(Crd, StatusJsonIsValidAgainstStatusSchema) {
  json crd = loadCrd();
  RolloutStatus s;
  s.phase = Phase::kProgressing;
  s.stable_revision = "aaaaaaaaaa";
  s.canary_revision = "bbbbbbbbbb";
  s.step_started_at = SystemTime(std::chrono::seconds(1'800'000'000));
  s.paused_at = s.step_started_at;
  s.analysis_paused = true;
  s.rolled_back_revision = "cccccccccc";
  s.last_analysis =
      LastAnalysis{*s.step_started_at,
                   1,
                   "bbbbbbbbbb",
                   "Fail",
                   "m",
                   {{"errorRate", 0.01, "<= 0.001", 900.0, "Fail", "q", "x"},
                    {"drift", std::nullopt, "<= 0.2", std::nullopt, "Error", "q", ""}}};
  s.conditions.push_back({kCondAvailable, "True", "StableAvailable", "", *s.step_started_at, 3});
  s.history.push_back({*s.step_started_at, "Healthy", "Progressing", "CanaryStarted", "m"});
  s.step_entry = 7;
  s.last_analysis->step_entry = 6;
  const json j = statusToJson(s);
  std::vector<std::string> errs;
  validateSchema(schema(crd)["properties"]["status"], j, "status", errs);
  EXPECT_TRUE(errs.empty()) << ::testing::PrintToString(errs) << j.dump();
  EXPECT_EQ(statusFromJson(j), s) << "round trip";
}

// status.stepEntry and status.lastAnalysis.stepEntry (docs/api.md) survive the API server:
// declared in the CRD (an undeclared status field is pruned), written when set, and a status
// from before them reads as 0 (the planner then judges checks by time).
TEST(Crd, StepEntryRoundTripsAndAnOlderStatusReadsAsZero) {
  json crd = loadCrd();
  const json& status = schema(crd)["properties"]["status"]["properties"];
  ASSERT_TRUE(status.contains("stepEntry"));
  EXPECT_EQ(status["stepEntry"]["format"], "int64");
  ASSERT_TRUE(status["lastAnalysis"]["properties"].contains("stepEntry"));
  // The planner wraps at kMaxStepEntry; the schema must admit exactly that much.
  EXPECT_EQ(status["stepEntry"]["maximum"], kMaxStepEntry);
  EXPECT_EQ(status["lastAnalysis"]["properties"]["stepEntry"]["maximum"], kMaxStepEntry);
  RolloutStatus s;
  s.phase = Phase::kProgressing;
  s.canary_revision = "bbbbbbbbbb";
  s.step_entry = 4'000'000'000;  // beyond int32
  s.last_analysis = LastAnalysis{};
  s.last_analysis->revision = "bbbbbbbbbb";
  s.last_analysis->verdict = "Pass";
  s.last_analysis->step_entry = 3'999'999'999;
  json j = statusToJson(s);
  EXPECT_EQ(j["stepEntry"], 4'000'000'000);
  EXPECT_EQ(j["lastAnalysis"]["stepEntry"], 3'999'999'999);
  EXPECT_EQ(statusFromJson(j), s);
  j.erase("stepEntry");
  j["lastAnalysis"].erase("stepEntry");
  const RolloutStatus old = statusFromJson(j);
  EXPECT_EQ(old.step_entry, 0);
  EXPECT_EQ(old.last_analysis->step_entry, 0);
  EXPECT_FALSE(statusToJson(old).contains("stepEntry")) << "0 is not written";
  EXPECT_FALSE(statusToJson(old)["lastAnalysis"].contains("stepEntry"));
}

// Every status a lifecycle writes (first deploy, canary with checks failing and passing, a
// rollback, a new canary promoted), with the scale fields the reconciler adds, is valid
// against the CRD's status schema (metav1.Condition patterns and limits included).
TEST(Crd, EveryPlannedStatusIsValidAgainstTheStatusSchema) {
  json crd = loadCrd();
  Harness h;
  h.spec["analysis"] = json::object();
  auto check = [&](const char* when) {
    RolloutStatus s = h.last.status;
    setScaleStatus(s, {h.spec["selector"], "m", 4, 3}, h.world);
    std::vector<std::string> errs;
    validateSchema(schema(crd)["properties"]["status"], statusToJson(s), "status", errs);
    EXPECT_TRUE(errs.empty()) << when << ": " << ::testing::PrintToString(errs);
  };
  h.deployStable();
  check("healthy");
  h.spec = withImage(h.spec, "m:2");
  h.step();
  check("canary started");
  h.now += std::chrono::hours(2);
  h.deliver(analysis::Verdict::kFail, std::string(40000, 'x'));  // a huge message is cut
  h.step();
  check("rolled back");
  h.spec = withImage(h.spec, "m:3");
  for (int i = 0; i < 12; ++i) {
    h.step();
    check("canary");
    h.now += std::chrono::hours(2);
    if (h.in_flight) h.deliver(analysis::Verdict::kPass);
  }
  EXPECT_EQ(h.status.phase, Phase::kHealthy) << dump(h.last);
}

// Every rule mirroring a parser check is in the schema where it belongs (docs/api.md lists the
// parser checks CEL cannot express); spec_rules_agreement_test.cpp evaluates them.
void collectRules(const json& node, const std::string& path,
                  std::map<std::string, std::vector<std::string>>& out) {
  if (!node.is_object()) return;
  const json rules = node.value("x-kubernetes-validations", json::array());
  for (const auto& v : rules)
    out[path].push_back(v["rule"].get<std::string>());
  const json props = node.value("properties", json::object());
  for (auto& [k, v] : props.items()) {
    collectRules(v, path + "." + k, out);
  }
  if (node.contains("items")) collectRules(node["items"], path + "[]", out);
}

TEST(Crd, CelRulesMirrorTheParsersCrossFieldChecks) {
  json crd = loadCrd();
  std::map<std::string, std::vector<std::string>> rules;
  collectRules(schema(crd), "", rules);
  const std::string m = ".spec.analysis.metrics";
  const std::vector<std::pair<std::string, std::string>> want = {
      {".spec", "self.selector.matchLabels.all(k"},
      {".spec.service.targetPort", "type(self) == int ? self >= 1 && self <= 65535"},
      {".spec.trafficRouting", "!(has(self.gatewayAPI) && has(self.istio))"},
      {".spec.steps", "isSorted()"},
      {".spec.steps", "self[size(self) - 1].weight == 100"},
      {m + ".errorRate", "has(self.relativeTo) == has(self.maxRatio)"},
      {m + ".errorRate", "!has(self.relativeTo) || !has(self.query)"},
      {m + ".latencyP99", "has(self.relativeTo) == has(self.maxRatio)"},
      {m + ".latencyP99", "!has(self.relativeTo) || !has(self.query)"},
      {m + ".custom[]", "has(self.min) || has(self.max)"},
      {m + ".custom[]", "self.min <= self.max"},
      {".spec.analysis.prometheus.timeout", "duration(self) > duration('0s')"},
      {".spec.analysis.interval", "duration(self) > duration('0s')"},
      {".spec.analysis.window", "duration(self) > duration('0s')"},
      {".spec.analysis.inconclusiveTimeout", "duration(self) > duration('0s')"},
  };
  for (const auto& [path, fragment] : want) {
    const auto& at = rules[path];
    EXPECT_TRUE(std::any_of(at.begin(), at.end(),
                            [&](const std::string& r) { return r.find(fragment) != r.npos; }))
        << "no rule containing \"" << fragment << "\" at " << path;
  }
  // Cost: the maps and strings the rules iterate over are bounded.
  const json& spec = schema(crd)["properties"]["spec"]["properties"];
  EXPECT_TRUE(spec["selector"]["properties"]["matchLabels"].contains("maxProperties"));
  for (const char* d : {"interval", "window", "inconclusiveTimeout"}) {
    EXPECT_TRUE(spec["analysis"]["properties"][d].contains("maxLength")) << d;
  }
}

// Checks the schema expresses without CEL: a spec both the schema and the parser reject.
TEST(Crd, SchemaRejectsWhatTheParserRejects) {
  json crd = loadCrd();
  const json base = json::parse(R"({
    "selector": {"matchLabels": {"app": "m"}},
    "template": {"metadata": {"labels": {"app": "m"}},
                 "spec": {"containers": [{"name": "s", "image": "i"}]}},
    "analysis": {"minSampleSize": 10}})");
  {
    std::vector<std::string> errs;
    validateSchema(schema(crd)["properties"]["spec"], base, "spec", errs);
    EXPECT_TRUE(errs.empty()) << ::testing::PrintToString(errs);
    EXPECT_TRUE(parseSpec(base).ok()) << parseSpec(base).summary();
  }
  const std::vector<std::pair<std::string, json>> bad = {
      {"no containers", json::parse(R"({"template": {"spec": {"containers": []}}})")},
      {"no pod spec", json::parse(R"({"template": {"spec": null}})")},
      {"minSampleSize above 1e9", json::parse(R"({"analysis": {"minSampleSize": 2000000000}})")},
      {"weight 0", json::parse(R"({"steps": [{"weight": 0}, {"weight": 100}]})")},
      {"deadline 0", json::parse(R"({"progressDeadlineSeconds": 0})")},
  };
  for (const auto& [what, patch] : bad) {
    json spec = base;
    spec.merge_patch(patch);
    std::vector<std::string> errs;
    validateSchema(schema(crd)["properties"]["spec"], spec, "spec", errs);
    EXPECT_FALSE(errs.empty()) << what << ": the schema accepts " << spec.dump();
    EXPECT_FALSE(parseSpec(spec).ok()) << what << ": the parser accepts " << spec.dump();
  }
}

TEST(Crd, ChartCopyIsIdentical) {
  EXPECT_EQ(
      loadYamlFile(kSource + "/crds/modelrollout.io_modelrollouts.yaml"),
      loadYamlFile(kSource + "/charts/modelrollout/files/crds/modelrollout.io_modelrollouts.yaml"));
}

TEST(Crd, EveryExampleIsValidAndParses) {
  json crd = loadCrd();
  int rollouts = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSource + "/examples")) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string file = entry.path().filename().string();
    std::map<std::string, json> routes;  // kind/name -> object
    std::vector<json> mrs;
    for (json doc : loadYamlFile(entry.path().string())) {
      if (doc["kind"] == kKind) {
        mrs.push_back(doc);
      } else {
        routes[doc["kind"].get<std::string>() + "/" + doc["metadata"]["name"].get<std::string>()] =
            doc;
      }
    }
    for (json mr : mrs) {
      ++rollouts;
      EXPECT_EQ(mr["apiVersion"], kApiVersion) << file;
      applyDefaults(schema(crd), mr);
      std::vector<std::string> errs;
      validateSchema(schema(crd), mr, "", errs);
      EXPECT_TRUE(errs.empty()) << file << ": " << ::testing::PrintToString(errs);
      auto parsed = parseSpec(mr["spec"]);
      ASSERT_TRUE(parsed.ok()) << file << ": " << parsed.summary();
      const std::string name = mr["metadata"]["name"];
      const auto& tr = parsed.spec->traffic_routing;
      std::string ref;
      if (tr.kind == RouterKind::kGatewayApi) ref = "HTTPRoute/" + tr.http_route;
      if (tr.kind == RouterKind::kIstio) ref = "VirtualService/" + tr.virtual_service;
      if (!ref.empty()) {
        ASSERT_TRUE(routes.count(ref)) << file << " must include the " << ref << " it references";
        const std::string text = routes[ref].dump();
        EXPECT_NE(text.find("\"" + name + "-stable\""), std::string::npos) << file;
        EXPECT_NE(text.find("\"" + name + "-canary\""), std::string::npos) << file;
      }
    }
  }
  EXPECT_GE(rollouts, 5);
}

}  // namespace
}  // namespace mr::rollout::testing
