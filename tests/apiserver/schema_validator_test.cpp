#include "schema_validator.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

const json kSchema = json::parse(R"({
  "type": "object",
  "properties": {
    "spec": {
      "type": "object",
      "required": ["image"],
      "properties": {
        "image": {"type": "string", "pattern": "^[a-z]+:[0-9.]+$"},
        "replicas": {"type": "integer", "minimum": 0, "maximum": 10, "default": 1},
        "mode": {"type": "string", "enum": ["A", "B"], "default": "A"},
        "port": {"x-kubernetes-int-or-string": true},
        "steps": {"type": "array", "maxItems": 2, "minItems": 1,
                  "items": {"type": "object", "required": ["weight"],
                            "properties": {"weight": {"type": "integer", "exclusiveMinimum": true, "minimum": 0}}}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "template": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
        "one": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                "oneOf": [{"required": ["a"]}, {"required": ["b"]}]}
      }
    },
    "status": {"type": "object", "properties": {"phase": {"type": "string"}}}
  }
})");

json cr(json spec) {
  return {{"apiVersion", "x.io/v1"},
          {"kind", "X"},
          {"metadata", {{"name", "a"}, {"labels", {{"k", "v"}}}}},
          {"spec", spec}};
}

std::vector<std::string> fields(const SchemaOutcome& o) {
  std::vector<std::string> out;
  for (const auto& e : o.errors)
    out.push_back(e.field);
  return out;
}

TEST(ApiserverSchemaValidatorTest, AppliesDefaultsAndKeepsValidObject) {
  json obj = cr({{"image", "app:1.0"}});
  SchemaOutcome out = validateCustomResource(obj, kSchema);
  EXPECT_TRUE(out.errors.empty());
  EXPECT_EQ(obj["spec"]["replicas"], 1);
  EXPECT_EQ(obj["spec"]["mode"], "A");
  EXPECT_EQ(obj["metadata"]["labels"]["k"], "v");
  EXPECT_EQ(obj["apiVersion"], "x.io/v1");
}

TEST(ApiserverSchemaValidatorTest, ReportsEachViolationWithItsField) {
  json obj = cr({{"image", "Bad Image"},
                 {"replicas", 11},
                 {"mode", "C"},
                 {"steps", {{{"hold", "1m"}}, {{"weight", 0}}, {{"weight", 5}}}}});
  SchemaOutcome out = validateCustomResource(obj, kSchema);
  auto f = fields(out);
  EXPECT_EQ(f, (std::vector<std::string>{"spec.image", "spec.mode", "spec.replicas", "spec.steps",
                                         "spec.steps[0].weight", "spec.steps[1].weight"}));
  for (const auto& e : out.errors) {
    if (e.field == "spec.replicas") {
      EXPECT_EQ(e.detail,
                "Invalid value: 11: spec.replicas in body should be less than or equal to 10");
    }
    if (e.field == "spec.mode") {
      EXPECT_EQ(e.detail, "Unsupported value: \"C\": supported values: \"A\", \"B\"");
    }
    if (e.field == "spec.steps[0].weight") {
      EXPECT_EQ(e.detail, "Required value");
    }
  }
}

TEST(ApiserverSchemaValidatorTest, MissingRequiredAndWrongType) {
  json obj = cr({{"replicas", "three"}});
  SchemaOutcome out = validateCustomResource(obj, kSchema);
  EXPECT_EQ(fields(out), (std::vector<std::string>{"spec.replicas", "spec.image"}));
  EXPECT_EQ(out.errors[0].detail,
            "Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"");
}

TEST(ApiserverSchemaValidatorTest, PrunesUnknownFieldsButPreservesWhereAsked) {
  json obj = cr({{"image", "a:1"},
                 {"bogus", 1},
                 {"template", {{"anything", {{"goes", true}}}}},
                 {"labels", {{"x", "y"}}}});
  obj["extraTop"] = 1;
  obj["metadata"]["notMeta"] = 1;
  SchemaOutcome out = validateCustomResource(obj, kSchema);
  EXPECT_TRUE(out.errors.empty());
  EXPECT_EQ(out.unknown_fields,
            (std::vector<std::string>{"extraTop", "spec.bogus", "metadata.notMeta"}));
  EXPECT_FALSE(obj["spec"].contains("bogus"));
  EXPECT_FALSE(obj.contains("extraTop"));
  EXPECT_FALSE(obj["metadata"].contains("notMeta"));
  EXPECT_EQ(obj["spec"]["template"]["anything"]["goes"], true);
  EXPECT_EQ(obj["spec"]["labels"]["x"], "y");
}

TEST(ApiserverSchemaValidatorTest, IntOrStringAndAdditionalPropertiesTypes) {
  json ok = cr({{"image", "a:1"}, {"port", "http"}});
  EXPECT_TRUE(validateCustomResource(ok, kSchema).errors.empty());
  json ok2 = cr({{"image", "a:1"}, {"port", 8080}});
  EXPECT_TRUE(validateCustomResource(ok2, kSchema).errors.empty());
  json bad = cr({{"image", "a:1"}, {"port", true}, {"labels", {{"x", 1}}}});
  EXPECT_EQ(fields(validateCustomResource(bad, kSchema)),
            (std::vector<std::string>{"spec.labels.x", "spec.port"}));
}

TEST(ApiserverSchemaValidatorTest, OneOf) {
  json both = cr({{"image", "a:1"}, {"one", {{"a", "x"}, {"b", "y"}}}});
  EXPECT_EQ(fields(validateCustomResource(both, kSchema)), (std::vector<std::string>{"spec.one"}));
  json one = cr({{"image", "a:1"}, {"one", {{"a", "x"}}}});
  EXPECT_TRUE(validateCustomResource(one, kSchema).errors.empty());
}

}  // namespace
}  // namespace mr::apiserver

namespace mr::apiserver {
namespace {

// kube-apiserver refuses a later item whose x-kubernetes-list-map-keys values repeat an earlier
// item's (list-type map) and a repeated item of a list-type set: FieldValueDuplicate at the
// later index, naming the key values (map) or the item (set).
TEST(ApiserverSchemaValidatorTest, ListTypeMapAndSetRejectDuplicateKeysAndItems) {
  const json schema = json::parse(R"({
    "type": "object",
    "properties": {"spec": {"type": "object", "properties": {
      "custom": {"type": "array", "x-kubernetes-list-type": "map",
                 "x-kubernetes-list-map-keys": ["name"],
                 "items": {"type": "object", "required": ["name"],
                           "properties": {"name": {"type": "string"}, "q": {"type": "string"}}}},
      "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}
    }}}
  })");
  json ok = cr({{"custom", {{{"name", "x"}, {"q", "a"}}, {{"name", "y"}, {"q", "a"}}}},
                {"tags", {"a", "b"}}});
  EXPECT_TRUE(validateCustomResource(ok, schema).errors.empty());

  json dup = cr({{"custom", {{{"name", "x"}, {"q", "a"}}, {{"name", "x"}, {"q", "b"}}}},
                 {"tags", {"a", "b", "a"}}});
  SchemaOutcome out = validateCustomResource(dup, schema);
  ASSERT_EQ(out.errors.size(), 2u);
  std::vector<std::string> got;
  for (const auto& e : out.errors) {
    EXPECT_EQ(e.reason, "FieldValueDuplicate");
    got.push_back(e.toString());
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{
                     R"(spec.custom[1]: Duplicate value: map[string]interface {}{"name":"x"})",
                     R"(spec.tags[2]: Duplicate value: "a")"}));
}

}  // namespace
}  // namespace mr::apiserver
