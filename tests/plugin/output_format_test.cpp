// -o json|yaml (plugin/output_format.h): exact YAML for a small object, and every YAML the
// plugin prints reads back (yaml-cpp, YAML 1.2 core types) as the JSON it came from.
#include "plugin/output_format.h"

#include <gtest/gtest.h>

#include "tests/plugin/sample_rollout.h"
#include "tests/plugin/yaml_json.h"

namespace mr::plugin {
namespace {

using Json = nlohmann::json;

TEST(OutputFormatTest, YamlBlockStyleLikeKubectl) {
  const Json obj = Json::parse(R"({
    "kind": "ModelRollout",
    "metadata": {"name": "fraud", "labels": {"app": "fraud"}, "managedFields": [{"manager": "x"}]},
    "spec": {"steps": [{"weight": 1, "hold": "24h"}, {"weight": 100}],
             "template": {"spec": {"containers": [{"name": "server", "args": ["--port", "8080"]}]}},
             "empty": {}, "none": []}})");
  EXPECT_EQ(formatObject(obj, "yaml"),
            "kind: ModelRollout\n"
            "metadata:\n"
            "  labels:\n"
            "    app: fraud\n"
            "  name: fraud\n"
            "spec:\n"
            "  empty: {}\n"
            "  none: []\n"
            "  steps:\n"
            "  - hold: 24h\n"
            "    weight: 1\n"
            "  - weight: 100\n"
            "  template:\n"
            "    spec:\n"
            "      containers:\n"
            "      - args:\n"
            "        - \"--port\"\n"
            "        - \"8080\"\n"
            "        name: server\n");
}

TEST(OutputFormatTest, StringsThatWouldChangeTypeAreQuoted) {
  const Json obj = {{"a", "true"},       {"b", "1.0"},   {"c", "a: b"},        {"d", "-x"},
                    {"e", ""},           {"f", "null"},  {"dur", "24h"},       {"exp", "1e3"},
                    {"hex", "0x1f"},     {"g", "Yes"},   {"h", "line\nbreak"}, {"i", "# no"},
                    {"j", "plain text"}, {"k", nullptr}, {"l", 2.5},           {"m", false},
                    {"weird key: x", 1}};
  const std::string yaml = toYaml(obj);
  EXPECT_NE(yaml.find("a: \"true\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("j: plain text\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("dur: 24h\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("exp: \"1e3\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("k: null\n"), std::string::npos) << yaml;
  EXPECT_EQ(testing::yamlNodeToJson(YAML::Load(yaml)), obj) << yaml;
}

TEST(OutputFormatTest, YamlOfARolloutReadsBackAsTheSameJson) {
  const Json rollout = plugin::testing::sampleRollout();
  EXPECT_EQ(testing::yamlNodeToJson(YAML::Load(toYaml(rollout))), rollout);
  const Json list = {{"apiVersion", "modelrollout.io/v1alpha1"},
                     {"kind", "ModelRolloutList"},
                     {"items", Json::array({rollout, rollout})}};
  EXPECT_EQ(testing::yamlNodeToJson(YAML::Load(formatObject(list, "yaml"))), list);
}

TEST(OutputFormatTest, JsonIsTheObjectWithoutManagedFields) {
  Json rollout = plugin::testing::sampleRollout();
  rollout["metadata"]["managedFields"] = Json::array({{{"manager", "kubectl"}}});
  const Json printed = Json::parse(formatObject(rollout, "json"));
  EXPECT_FALSE(printed["metadata"].contains("managedFields"));
  rollout["metadata"].erase("managedFields");
  EXPECT_EQ(printed, rollout);
}

}  // namespace
}  // namespace mr::plugin
