// Every rule docs/api.md states for a spec field, checked on both sides of the contract: the
// API server (the real CRD through the test API server's validation: schema, defaults and the
// CEL rules, as kube-apiserver v1.32 evaluates them) and the controller's parser (parseSpec).
// A documented rule holds only if both reject what it forbids and both accept its bounds; the
// parser must name the field. Table-driven: one row per documented rule or bound.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "encoding.h"
#include "rollout/modelrollout_parse.h"
#include "schema_validator.h"

namespace mr::rollout {
namespace {

using nlohmann::json;

const json& crdSchema() {
  static const json schema = [] {
    std::ifstream in("crds/modelrollout.io_modelrollouts.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    return apiserver::yamlToJson(ss.str())
        .value()["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
  }();
  return schema;
}

// A spec that uses every documented block, valid on both sides.
json baseSpec() {
  return json::parse(R"({
    "replicas": 4,
    "selector": {"matchLabels": {"app": "m"}},
    "template": {"metadata": {"labels": {"app": "m"}},
                 "spec": {"containers": [{"name": "s", "image": "m:1"}]}},
    "service": {"port": 80, "targetPort": 8080},
    "trafficRouting": {"istio": {"virtualService": "vs", "routes": ["primary"]}},
    "steps": [{"weight": 10, "hold": "1h"}, {"weight": 100}],
    "analysis": {
      "prometheus": {"address": "https://prometheus.monitoring:9090", "timeout": "5s",
                     "bearerTokenSecretRef": {"name": "t", "key": "token"},
                     "caSecretRef": {"name": "ca", "key": "ca.crt"}},
      "interval": "30s", "window": "5m", "confidence": 0.99, "failureLimit": 2,
      "minSampleSize": 100, "onNoData": "Fail", "inconclusiveTimeout": "12h",
      "onInconclusiveLimit": "Rollback",
      "metrics": {"errorRate": {"max": 0.01}, "latencyP99": {"maxMs": 250},
                  "drift": {"max": 0.3}, "maeDegradation": {"max": 0.2},
                  "custom": [{"name": "gpu", "query": "q", "max": 0.9}]}},
    "paused": false, "progressDeadlineSeconds": 600, "progressDeadlineAbort": true
  })");
}

struct ServerOutcome {
  std::vector<std::string> errors;
};

std::vector<std::string> serverErrors(const json& spec) {
  json obj = {{"apiVersion", "modelrollout.io/v1alpha1"},
              {"kind", "ModelRollout"},
              {"metadata", {{"name", "m"}, {"namespace", "ml"}}},
              {"spec", spec}};
  auto out = apiserver::validateCustomResource(obj, crdSchema());
  std::vector<std::string> errs;
  for (const auto& e : out.errors)
    errs.push_back(e.toString());
  return errs;
}

struct Row {
  std::string rule;  // as docs/api.md states it
  json patch;        // a JSON merge patch on baseSpec()
  bool valid;
  std::string parser_path;  // for an invalid row: the field the parser names
};

json apply(const json& patch) {
  json spec = baseSpec();
  spec.merge_patch(patch);
  return spec;
}

json nLabels(int n) {
  json m = json::object();
  for (int i = 0; i < n; ++i)
    m["l" + std::to_string(i)] = "v";
  return m;
}

json nStrings(int n) {
  json a = json::array();
  for (int i = 0; i < n; ++i)
    a.push_back("r" + std::to_string(i));
  return a;
}

json nCustom(int n) {
  json a = json::array();
  for (int i = 0; i < n; ++i)
    a.push_back({{"name", "c" + std::to_string(i)}, {"query", "q"}, {"max", 1}});
  return a;
}

const std::vector<Row>& rows() {
  static const std::vector<Row> r = [] {
    json labels64 = nLabels(63);  // and app=m: 64
    labels64["app"] = "m";
    json tmpl64 = baseSpec()["template"];
    tmpl64["metadata"]["labels"] = labels64;
    json labels65 = labels64;
    labels65["l63"] = "v";
    json tmpl65 = tmpl64;
    tmpl65["metadata"]["labels"] = labels65;
    const std::string m = "spec.analysis.metrics";
    return std::vector<Row>{
        // spec.replicas: 0..10000
        {"replicas 0", {{"replicas", 0}}, true, ""},
        {"replicas 10000", {{"replicas", 10000}}, true, ""},
        {"replicas -1", {{"replicas", -1}}, false, "spec.replicas"},
        {"replicas 10001", {{"replicas", 10001}}, false, "spec.replicas"},
        // spec.selector: matchLabels (<=64) must be in template.metadata.labels
        {"64 matchLabels",
         {{"selector", {{"matchLabels", labels64}}}, {"template", tmpl64}},
         true,
         ""},
        {"65 matchLabels",
         {{"selector", {{"matchLabels", labels65}}}, {"template", tmpl65}},
         false,
         "spec.selector.matchLabels"},
        {"matchLabels not in the template",
         {{"selector", {{"matchLabels", {{"app", "x"}}}}}},
         false,
         "spec.selector.matchLabels.app"},
        // spec.template: required; spec.containers required, >= 1
        {"template missing", {{"template", nullptr}}, false, "spec.template"},
        {"no containers",
         {{"template", {{"spec", {{"containers", json::array()}}}}}},
         false,
         "spec.template.spec.containers"},
        // spec.service: port 1..65535; targetPort 1..65535 or a name of 1..15 characters
        {"port 65535", {{"service", {{"port", 65535}}}}, true, ""},
        {"port 0", {{"service", {{"port", 0}}}}, false, "spec.service.port"},
        {"port 65536", {{"service", {{"port", 65536}}}}, false, "spec.service.port"},
        {"targetPort name of 15", {{"service", {{"targetPort", std::string(15, 'h')}}}}, true, ""},
        {"targetPort name of 16",
         {{"service", {{"targetPort", std::string(16, 'h')}}}},
         false,
         "spec.service.targetPort"},
        {"targetPort empty name",
         {{"service", {{"targetPort", ""}}}},
         false,
         "spec.service.targetPort"},
        {"targetPort 0", {{"service", {{"targetPort", 0}}}}, false, "spec.service.targetPort"},
        {"targetPort 65536",
         {{"service", {{"targetPort", 65536}}}},
         false,
         "spec.service.targetPort"},
        // spec.trafficRouting: at most one router; istio.routes <= 32
        {"two routers",
         {{"trafficRouting", {{"gatewayAPI", {{"httpRoute", "r"}}}}}},
         false,
         "spec.trafficRouting"},
        {"empty httpRoute",
         {{"trafficRouting", {{"istio", nullptr}, {"gatewayAPI", {{"httpRoute", ""}}}}}},
         false,
         "spec.trafficRouting.gatewayAPI.httpRoute"},
        {"32 istio routes",
         {{"trafficRouting", {{"istio", {{"routes", nStrings(32)}}}}}},
         true,
         ""},
        {"33 istio routes",
         {{"trafficRouting", {{"istio", {{"routes", nStrings(33)}}}}}},
         false,
         "spec.trafficRouting.istio.routes"},
        // spec.steps: 1..20 items; weights strictly increasing in 1..100; last = 100
        {"one step of 100", {{"steps", {{{"weight", 100}}}}}, true, ""},
        {"no steps", {{"steps", json::array()}}, false, "spec.steps"},
        {"21 steps",
         {{"steps",
           [] {
             json s = json::array();
             for (int w = 80; w <= 100; ++w)
               s.push_back({{"weight", w}});
             return s;
           }()}},
         false,
         "spec.steps"},
        {"weight 0",
         {{"steps", {{{"weight", 0}}, {{"weight", 100}}}}},
         false,
         "spec.steps[0].weight"},
        {"weight 101", {{"steps", {{{"weight", 101}}}}}, false, "spec.steps[0].weight"},
        {"equal weights",
         {{"steps", {{{"weight", 10}}, {{"weight", 10}}, {{"weight", 100}}}}},
         false,
         "spec.steps[1].weight"},
        {"decreasing weights",
         {{"steps", {{{"weight", 50}}, {{"weight", 10}}, {{"weight", 100}}}}},
         false,
         "spec.steps[1].weight"},
        {"last step not 100",
         {{"steps", {{{"weight", 10}}, {{"weight", 50}}}}},
         false,
         "spec.steps[1].weight"},
        {"weight missing",
         {{"steps", {{{"hold", "1h"}}, {{"weight", 100}}}}},
         false,
         "spec.steps[0].weight"},
        // steps[].hold: Go duration, 0 allowed
        {"hold 0", {{"steps", {{{"weight", 10}, {"hold", "0"}}, {{"weight", 100}}}}}, true, ""},
        {"hold 1h30m",
         {{"steps", {{{"weight", 10}, {"hold", "1h30m"}}, {{"weight", 100}}}}},
         true,
         ""},
        {"hold 1.5h",
         {{"steps", {{{"weight", 10}, {"hold", "1.5h"}}, {{"weight", 100}}}}},
         true,
         ""},
        {"hold 1d",
         {{"steps", {{{"weight", 10}, {"hold", "1d"}}, {{"weight", 100}}}}},
         false,
         "spec.steps[0].hold"},
        {"hold -1h",
         {{"steps", {{{"weight", 10}, {"hold", "-1h"}}, {{"weight", 100}}}}},
         false,
         "spec.steps[0].hold"},
        // spec.analysis.prometheus
        {"address ftp",
         {{"analysis", {{"prometheus", {{"address", "ftp://p:9090"}}}}}},
         false,
         "spec.analysis.prometheus.address"},
        {"timeout 0s",
         {{"analysis", {{"prometheus", {{"timeout", "0s"}}}}}},
         false,
         "spec.analysis.prometheus.timeout"},
        {"token ref without key",
         {{"analysis", {{"prometheus", {{"bearerTokenSecretRef", {{"key", nullptr}}}}}}}},
         false,
         "spec.analysis.prometheus.bearerTokenSecretRef.key"},
        {"CA ref without name",
         {{"analysis", {{"prometheus", {{"caSecretRef", {{"name", nullptr}}}}}}}},
         false,
         "spec.analysis.prometheus.caSecretRef.name"},
        // interval, window, inconclusiveTimeout: duration > 0
        {"interval 0s", {{"analysis", {{"interval", "0s"}}}}, false, "spec.analysis.interval"},
        {"window 0s", {{"analysis", {{"window", "0s"}}}}, false, "spec.analysis.window"},
        {"inconclusiveTimeout 0s",
         {{"analysis", {{"inconclusiveTimeout", "0s"}}}},
         false,
         "spec.analysis.inconclusiveTimeout"},
        // confidence 0.5..0.999999
        {"confidence 0.5", {{"analysis", {{"confidence", 0.5}}}}, true, ""},
        {"confidence 0.999999", {{"analysis", {{"confidence", 0.999999}}}}, true, ""},
        {"confidence 0.49",
         {{"analysis", {{"confidence", 0.49}}}},
         false,
         "spec.analysis.confidence"},
        {"confidence 1", {{"analysis", {{"confidence", 1}}}}, false, "spec.analysis.confidence"},
        // failureLimit 1..100
        {"failureLimit 100", {{"analysis", {{"failureLimit", 100}}}}, true, ""},
        {"failureLimit 0",
         {{"analysis", {{"failureLimit", 0}}}},
         false,
         "spec.analysis.failureLimit"},
        {"failureLimit 101",
         {{"analysis", {{"failureLimit", 101}}}},
         false,
         "spec.analysis.failureLimit"},
        // minSampleSize 0..10^9
        {"minSampleSize 0", {{"analysis", {{"minSampleSize", 0}}}}, true, ""},
        {"minSampleSize 1e9", {{"analysis", {{"minSampleSize", 1000000000}}}}, true, ""},
        {"minSampleSize -1",
         {{"analysis", {{"minSampleSize", -1}}}},
         false,
         "spec.analysis.minSampleSize"},
        // onNoData Inconclusive | Fail; onInconclusiveLimit Pause | Rollback
        {"onNoData Inconclusive", {{"analysis", {{"onNoData", "Inconclusive"}}}}, true, ""},
        {"onNoData Pass", {{"analysis", {{"onNoData", "Pass"}}}}, false, "spec.analysis.onNoData"},
        {"onInconclusiveLimit Pause", {{"analysis", {{"onInconclusiveLimit", "Pause"}}}}, true, ""},
        {"onInconclusiveLimit Abort",
         {{"analysis", {{"onInconclusiveLimit", "Abort"}}}},
         false,
         "spec.analysis.onInconclusiveLimit"},
        // inconclusiveLimit: 1..1000, accepted and ignored
        {"inconclusiveLimit 1000", {{"analysis", {{"inconclusiveLimit", 1000}}}}, true, ""},
        {"inconclusiveLimit 0",
         {{"analysis", {{"inconclusiveLimit", 0}}}},
         false,
         "spec.analysis.inconclusiveLimit"},
        {"inconclusiveLimit 1001",
         {{"analysis", {{"inconclusiveLimit", 1001}}}},
         false,
         "spec.analysis.inconclusiveLimit"},
        // errorRate: max 0..1; relativeTo: stable and maxRatio > 0 together, not with query
        {"errorRate max 1", {{"analysis", {{"metrics", {{"errorRate", {{"max", 1}}}}}}}}, true, ""},
        {"errorRate max 0", {{"analysis", {{"metrics", {{"errorRate", {{"max", 0}}}}}}}}, true, ""},
        {"errorRate max 1.5",
         {{"analysis", {{"metrics", {{"errorRate", {{"max", 1.5}}}}}}}},
         false,
         m + ".errorRate.max"},
        {"errorRate max -0.1",
         {{"analysis", {{"metrics", {{"errorRate", {{"max", -0.1}}}}}}}},
         false,
         m + ".errorRate.max"},
        {"errorRate relative",
         {{"analysis",
           {{"metrics", {{"errorRate", {{"relativeTo", "stable"}, {"maxRatio", 1.5}}}}}}}},
         true,
         ""},
        {"errorRate relativeTo without maxRatio",
         {{"analysis", {{"metrics", {{"errorRate", {{"relativeTo", "stable"}}}}}}}},
         false,
         m + ".errorRate.maxRatio"},
        {"errorRate maxRatio without relativeTo",
         {{"analysis", {{"metrics", {{"errorRate", {{"maxRatio", 2}}}}}}}},
         false,
         m + ".errorRate.maxRatio"},
        {"errorRate maxRatio 0",
         {{"analysis",
           {{"metrics", {{"errorRate", {{"relativeTo", "stable"}, {"maxRatio", 0}}}}}}}},
         false,
         m + ".errorRate.maxRatio"},
        {"errorRate relativeTo canary",
         {{"analysis",
           {{"metrics", {{"errorRate", {{"relativeTo", "canary"}, {"maxRatio", 2}}}}}}}},
         false,
         m + ".errorRate.relativeTo"},
        {"errorRate relativeTo with query",
         {{"analysis",
           {{"metrics",
             {{"errorRate", {{"relativeTo", "stable"}, {"maxRatio", 2}, {"query", "q"}}}}}}}},
         false,
         m + ".errorRate.relativeTo"},
        // latencyP99: maxMs >= 0; relativeTo as for errorRate
        {"latencyP99 maxMs -1",
         {{"analysis", {{"metrics", {{"latencyP99", {{"maxMs", -1}}}}}}}},
         false,
         m + ".latencyP99.maxMs"},
        {"latencyP99 relative",
         {{"analysis",
           {{"metrics", {{"latencyP99", {{"relativeTo", "stable"}, {"maxRatio", 1.2}}}}}}}},
         true,
         ""},
        {"latencyP99 relativeTo without maxRatio",
         {{"analysis", {{"metrics", {{"latencyP99", {{"relativeTo", "stable"}}}}}}}},
         false,
         m + ".latencyP99.maxRatio"},
        {"latencyP99 relativeTo with query",
         {{"analysis",
           {{"metrics",
             {{"latencyP99", {{"relativeTo", "stable"}, {"maxRatio", 2}, {"query", "q"}}}}}}}},
         false,
         m + ".latencyP99.relativeTo"},
        // drift, maeDegradation: max >= 0
        {"drift max -1",
         {{"analysis", {{"metrics", {{"drift", {{"max", -1}}}}}}}},
         false,
         m + ".drift.max"},
        {"maeDegradation max -1",
         {{"analysis", {{"metrics", {{"maeDegradation", {{"max", -1}}}}}}}},
         false,
         m + ".maeDegradation.max"},
        // custom: name a DNS label, unique; min or max; min <= max
        {"custom min only",
         {{"analysis",
           {{"metrics", {{"custom", {{{"name", "a"}, {"query", "q"}, {"min", 0.5}}}}}}}}},
         true,
         ""},
        {"custom min = max",
         {{"analysis",
           {{"metrics", {{"custom", {{{"name", "a"}, {"query", "q"}, {"min", 1}, {"max", 1}}}}}}}}},
         true,
         ""},
        {"custom name not a DNS label",
         {{"analysis",
           {{"metrics", {{"custom", {{{"name", "Bad_Name"}, {"query", "q"}, {"max", 1}}}}}}}}},
         false,
         m + ".custom[0].name"},
        {"custom named like the built-in drift",
         {{"analysis",
           {{"metrics", {{"custom", {{{"name", "drift"}, {"query", "q"}, {"max", 1}}}}}}}}},
         false,
         m + ".custom[0].name"},
        {"custom duplicate names",
         {{"analysis",
           {{"metrics",
             {{"custom",
               {{{"name", "a"}, {"query", "q"}, {"max", 1}},
                {{"name", "a"}, {"query", "q2"}, {"max", 2}}}}}}}}},
         false,
         m + ".custom[1].name"},  // the server: a duplicate key of the list-type map
        {"custom without min and max",
         {{"analysis", {{"metrics", {{"custom", {{{"name", "a"}, {"query", "q"}}}}}}}}},
         false,
         m + ".custom[0]"},
        {"custom min > max",
         {{"analysis",
           {{"metrics", {{"custom", {{{"name", "a"}, {"query", "q"}, {"min", 2}, {"max", 1}}}}}}}}},
         false,
         m + ".custom[0].min"},
        {"custom without query",
         {{"analysis", {{"metrics", {{"custom", {{{"name", "a"}, {"max", 1}}}}}}}}},
         false,
         m + ".custom[0].query"},
        {"32 custom metrics", {{"analysis", {{"metrics", {{"custom", nCustom(32)}}}}}}, true, ""},
        {"33 custom metrics",
         {{"analysis", {{"metrics", {{"custom", nCustom(33)}}}}}},
         false,
         m + ".custom"},
        // progressDeadlineSeconds 1..2592000
        {"deadline 2592000", {{"progressDeadlineSeconds", 2592000}}, true, ""},
        {"deadline 0", {{"progressDeadlineSeconds", 0}}, false, "spec.progressDeadlineSeconds"},
        {"deadline 2592001",
         {{"progressDeadlineSeconds", 2592001}},
         false,
         "spec.progressDeadlineSeconds"},
    };
  }();
  return r;
}

TEST(SpecRulesAgreement, BaseSpecIsValidOnBothSides) {
  const json spec = baseSpec();
  EXPECT_EQ(serverErrors(spec), std::vector<std::string>{});
  auto parsed = parseSpec(spec);
  EXPECT_TRUE(parsed.ok()) << parsed.summary();
}

TEST(SpecRulesAgreement, EveryDocumentedRuleHoldsOnTheServerAndInTheParser) {
  for (const auto& row : rows()) {
    SCOPED_TRACE(row.rule);
    const json spec = apply(row.patch);
    const auto server = serverErrors(spec);
    const auto parsed = parseSpec(spec);
    if (row.valid) {
      EXPECT_TRUE(server.empty()) << "the API server rejects it: "
                                  << ::testing::PrintToString(server);
      EXPECT_TRUE(parsed.ok()) << "the parser rejects it: " << parsed.summary();
      continue;
    }
    EXPECT_FALSE(server.empty()) << "the API server accepts it";
    if (parsed.ok()) {
      ADD_FAILURE() << "the parser accepts it";
      continue;
    }
    bool named = false;
    for (const auto& e : parsed.errors)
      named = named || e.path == row.parser_path;
    EXPECT_TRUE(named) << "the parser does not name " << row.parser_path << ": "
                       << parsed.summary();
  }
}

// The Deployments carry spec.selector, and the API server refuses a Deployment whose selector
// does not select its template; CEL in the CRD checks matchLabels only, so the parser checks
// matchExpressions (docs/api.md: what only the controller catches).
TEST(SpecRulesAgreement, ParserRefusesMatchExpressionsThatDoNotSelectTheTemplate) {
  struct Case {
    json expression;
    bool valid;
    std::string path;
  } cases[] = {
      {{{"key", "app"}, {"operator", "In"}, {"values", {"m", "x"}}}, true, ""},
      {{{"key", "app"}, {"operator", "In"}, {"values", {"x"}}}, false, "[0]"},
      {{{"key", "app"}, {"operator", "NotIn"}, {"values", {"x"}}}, true, ""},
      {{{"key", "app"}, {"operator", "NotIn"}, {"values", {"m"}}}, false, "[0]"},
      {{{"key", "tier"}, {"operator", "NotIn"}, {"values", {"x"}}}, true, ""},
      {{{"key", "app"}, {"operator", "Exists"}}, true, ""},
      {{{"key", "tier"}, {"operator", "Exists"}}, false, "[0]"},
      {{{"key", "tier"}, {"operator", "DoesNotExist"}}, true, ""},
      {{{"key", "app"}, {"operator", "DoesNotExist"}}, false, "[0]"},
      {{{"key", "app"}, {"operator", "In"}, {"values", json::array()}}, false, "[0].values"},
      {{{"key", "app"}, {"operator", "Exists"}, {"values", {"m"}}}, false, "[0].values"},
      {{{"key", "app"}, {"operator", "Matches"}, {"values", {"m"}}}, false, "[0].operator"},
  };
  for (const auto& c : cases) {
    json spec = baseSpec();
    spec["selector"]["matchExpressions"] = json::array({c.expression});
    const auto parsed = parseSpec(spec);
    EXPECT_EQ(parsed.ok(), c.valid) << c.expression.dump() << ": " << parsed.summary();
    if (!c.valid && !parsed.ok()) {
      EXPECT_EQ(parsed.errors[0].path, "spec.selector.matchExpressions" + c.path)
          << c.expression.dump();
    }
  }
}

}  // namespace
}  // namespace mr::rollout
