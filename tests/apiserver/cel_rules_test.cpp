// x-kubernetes-validations in custom-resource validation (cel_rules.h through
// validateCustomResource): where errors land and how they read, with the real ModelRollout CRD;
// blocking schema errors; ratcheting on update; transition rules; reason, fieldPath,
// messageExpression; rules outside the subset.
#include "cel_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "encoding.h"
#include "schema_validator.h"

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

const json& modelRolloutSchema() {
  static const json schema = [] {
    std::ifstream in("crds/modelrollout.io_modelrollouts.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    return yamlToJson(ss.str()).value()["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
  }();
  return schema;
}

json modelRollout(const json& spec_patch = json::object()) {
  json mr = {{"apiVersion", "modelrollout.io/v1alpha1"},
             {"kind", "ModelRollout"},
             {"metadata", {{"name", "m"}, {"namespace", "default"}}},
             {"spec",
              {{"replicas", 4},
               {"selector", {{"matchLabels", {{"app", "m"}}}}},
               {"template",
                {{"metadata", {{"labels", {{"app", "m"}}}}},
                 {"spec", {{"containers", {{{"name", "server"}, {"image", "model:1"}}}}}}}},
               {"service", {{"port", 80}, {"targetPort", 8080}}},
               {"steps", {{{"weight", 10}, {"hold", "1m"}}, {{"weight", 100}}}},
               {"analysis",
                {{"interval", "10s"},
                 {"metrics",
                  {{"errorRate", {{"max", 0.01}}},
                   {"custom", {{{"name", "a"}, {"query", "q"}, {"min", 0}, {"max", 1}}}}}}}}}}};
  mr["spec"].merge_patch(spec_patch);
  return mr;
}

std::vector<std::string> messages(const SchemaOutcome& out) {
  std::vector<std::string> m;
  for (const auto& e : out.errors)
    m.push_back(e.toString());
  return m;
}

SchemaOutcome validate(json obj, const json* old = nullptr, const json& schema = {}) {
  return validateCustomResource(obj, schema.is_null() ? modelRolloutSchema() : schema, old);
}

using ::testing::ElementsAre;

TEST(ApiserverCelRulesTest, AValidModelRolloutPassesEveryRule) {
  SchemaOutcome out = validate(modelRollout());
  EXPECT_TRUE(out.errors.empty()) << ::testing::PrintToString(messages(out));
}

TEST(ApiserverCelRulesTest, SelectorRuleFailsAtSpecWithItsMessage) {
  SchemaOutcome out = validate(modelRollout({{"selector", {{"matchLabels", {{"app", "x"}}}}}}));
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].field, "spec");
  EXPECT_EQ(out.errors[0].reason, "FieldValueInvalid");
  EXPECT_EQ(out.errors[0].detail,
            "Invalid value: \"object\": spec.selector.matchLabels must be contained in "
            "spec.template.metadata.labels (the selector must select the template's pods)");
}

TEST(ApiserverCelRulesTest, NestedRulesNameTheirNodeAndSchemaType) {
  json bad =
      modelRollout({{"service", {{"targetPort", 0}}},
                    {"trafficRouting",
                     {{"gatewayAPI", {{"httpRoute", "r"}}}, {"istio", {{"virtualService", "v"}}}}},
                    {"steps", {{{"weight", 50}}, {{"weight", 10}}}},
                    {"analysis", {{"interval", "0s"}}}});
  bad["spec"]["analysis"]["metrics"]["custom"].push_back(
      {{"name", "b"}, {"query", "q"}, {"min", 2}, {"max", 1}});
  bad["spec"]["analysis"]["metrics"]["custom"].push_back({{"name", "c"}, {"query", "q"}});
  EXPECT_THAT(
      messages(validate(bad)),
      ElementsAre(
          "spec.analysis.interval: Invalid value: \"string\": must be greater than 0",
          "spec.analysis.metrics.custom[1]: Invalid value: \"object\": min must not exceed max",
          "spec.analysis.metrics.custom[2]: Invalid value: \"object\": a custom metric needs min, "
          "max or both",
          "spec.service.targetPort: Invalid value: \"\": targetPort must be a port number "
          "1-65535 or a port name of 1 to 15 characters",
          "spec.steps: Invalid value: \"array\": step weights must be strictly increasing",
          "spec.steps: Invalid value: \"array\": the last step must have weight 100",
          "spec.trafficRouting: Invalid value: \"object\": at most one router may be set "
          "(gatewayAPI or istio)"));
}

TEST(ApiserverCelRulesTest, BlockingSchemaErrorsSkipTheRules) {
  SchemaOutcome out = validate(
      modelRollout({{"replicas", "four"}, {"selector", {{"matchLabels", {{"app", "x"}}}}}}));
  EXPECT_THAT(messages(out),
              ElementsAre("spec.replicas: Invalid value: \"string\": spec.replicas in body must be "
                          "of type integer: \"string\"",
                          "<nil>: Invalid value: \"null\": some validation rules were not checked "
                          "because the object was invalid; correct the existing errors to "
                          "complete validation"));
}

TEST(ApiserverCelRulesTest, NonBlockingSchemaErrorsKeepTheRules) {
  SchemaOutcome out = validate(modelRollout({{"analysis", {{"interval", "ten"}}}}));
  EXPECT_THAT(messages(out),
              ElementsAre("spec.analysis.interval: Invalid value: \"ten\": spec.analysis.interval "
                          "in body should match '^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$'",
                          "spec.analysis.interval: Invalid value: \"string\": type conversion "
                          "error from 'string' to 'google.protobuf.Duration' evaluating rule: "
                          "must be greater than 0"));
}

TEST(ApiserverCelRulesTest, UpdateRatchetsUnchangedInvalidValues) {
  const json stored =
      modelRollout({{"steps", {{{"weight", 50}}, {{"weight", 10}}, {{"weight", 100}}}}});
  EXPECT_EQ(validate(stored).errors.size(), 1u);  // a create is not ratcheted

  json scaled = stored;
  scaled["spec"]["replicas"] = 6;
  SchemaOutcome out = validate(scaled, &stored);
  EXPECT_TRUE(out.errors.empty());
  EXPECT_THAT(out.warnings, ElementsAre("spec.steps: Invalid value: \"array\": step weights must "
                                        "be strictly increasing"));

  json touched = stored;
  touched["spec"]["steps"][0]["weight"] = 60;
  EXPECT_THAT(messages(validate(touched, &stored)),
              ElementsAre("spec.steps: Invalid value: \"array\": step weights must be strictly "
                          "increasing"));
}

TEST(ApiserverCelRulesTest, MapListItemsCorrelateByKeyForRatcheting) {
  json stored = modelRollout();
  stored["spec"]["analysis"]["metrics"]["custom"] = {{{"name", "a"}, {"query", "q"}}};
  json updated = stored;
  updated["spec"]["analysis"]["metrics"]["custom"].insert(
      updated["spec"]["analysis"]["metrics"]["custom"].begin(),
      json::object({{"name", "z"}, {"query", "q"}, {"min", 3}, {"max", 1}}));
  SchemaOutcome out = validate(updated, &stored);
  EXPECT_THAT(messages(out), ElementsAre("spec.analysis.metrics.custom[0]: Invalid value: "
                                         "\"object\": min must not exceed max"));
  EXPECT_THAT(out.warnings, ElementsAre("spec.analysis.metrics.custom[1]: Invalid value: "
                                        "\"object\": a custom metric needs min, max or both"));
}

const json kRuleSchema = json::parse(R"json({
  "type": "object",
  "x-kubernetes-validations": [{"rule": "self.metadata.name != 'root'", "message": "bad name"}],
  "properties": {
    "metadata": {"type": "object"},
    "spec": {
      "type": "object",
      "x-kubernetes-validations": [
        {"rule": "self.name != 'f'", "reason": "FieldValueForbidden", "message": "f is taken",
         "fieldPath": ".name"},
        {"rule": "self.name != 'r'", "reason": "FieldValueRequired", "message": "r is missing"},
        {"rule": "self.name != 'd'", "reason": "FieldValueDuplicate", "message": "dup"},
        {"rule": "self.name != 'e'", "messageExpression": "'name ' + self.name + ' is reserved'"},
        {"rule": "self.name != 'm'", "messageExpression": "self.nothing", "message": "fallback"},
        {"rule": "self.name != 'n'"},
        {"rule": "self.name != 'k'", "fieldPath": ".labels['team']", "message": "k"},
        {"rule": "self.name != 'u' || quantity('1') == quantity('1')", "message": "never run"}
      ],
      "properties": {
        "name": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "n": {"type": "integer",
              "x-kubernetes-validations": [{"rule": "self >= oldSelf", "message": "n may not decrease"}]}
      }
    }
  }
})json");

json named(const std::string& name, int n = 1) {
  return {{"metadata", {{"name", "o"}}}, {"spec", {{"name", name}, {"n", n}}}};
}

TEST(ApiserverCelRulesTest, ReasonFieldPathAndMessageExpression) {
  auto only = [](const std::string& name) {
    return messages(validate(named(name), nullptr, kRuleSchema));
  };
  EXPECT_THAT(only("f"), ElementsAre("spec.name: Forbidden: f is taken"));
  EXPECT_THAT(only("r"), ElementsAre("spec: Required value: r is missing"));
  EXPECT_THAT(only("d"), ElementsAre("spec: Duplicate value: \"object\""));
  EXPECT_THAT(only("e"), ElementsAre("spec: Invalid value: \"object\": name e is reserved"));
  EXPECT_THAT(only("m"), ElementsAre("spec: Invalid value: \"object\": fallback"));
  EXPECT_THAT(only("n"),
              ElementsAre("spec: Invalid value: \"object\": failed rule: self.name != 'n'"));
  EXPECT_THAT(only("k"), ElementsAre("spec.labels[team]: Invalid value: \"object\": k"));
  EXPECT_THAT(only("u"), ElementsAre());  // outside the subset: skipped
  json root = named("ok");
  root["metadata"]["name"] = "root";
  EXPECT_THAT(messages(validate(root, nullptr, kRuleSchema)),
              ElementsAre("<nil>: Invalid value: \"object\": bad name"));
}

TEST(ApiserverCelRulesTest, TransitionRulesRunOnlyOnUpdateAndAreNotRatcheted) {
  EXPECT_THAT(messages(validate(named("ok", 5), nullptr, kRuleSchema)), ElementsAre());
  const json old = named("ok", 5);
  EXPECT_THAT(messages(validate(named("ok", 6), &old, kRuleSchema)), ElementsAre());
  EXPECT_THAT(messages(validate(named("ok", 4), &old, kRuleSchema)),
              ElementsAre("spec.n: Invalid value: \"integer\": n may not decrease"));
}

TEST(ApiserverCelRulesTest, RulesOutsideTheSubsetAreNamed) {
  EXPECT_TRUE(unsupportedRules(modelRolloutSchema()).empty());
  EXPECT_THAT(unsupportedRules(kRuleSchema),
              ElementsAre("openAPIV3Schema.properties[spec].x-kubernetes-validations[7].rule: "
                          "self.name != 'u' || quantity('1') == quantity('1'): column 21: "
                          "unsupported function 'quantity'"));
  EXPECT_TRUE(hasValidationRules(kRuleSchema));
  EXPECT_FALSE(hasValidationRules(json::parse(R"({"type": "object"})")));
}

}  // namespace
}  // namespace mr::apiserver
