#include "table_printer.h"

#include <gtest/gtest.h>

#include "common/time_format.h"

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

TEST(ApiserverHumanDurationTest, MatchesKubernetesFormatting) {
  using std::chrono::seconds;
  EXPECT_EQ(humanDuration(seconds(-5)), "<invalid>");
  EXPECT_EQ(humanDuration(seconds(0)), "0s");
  EXPECT_EQ(humanDuration(seconds(119)), "119s");
  EXPECT_EQ(humanDuration(seconds(125)), "2m5s");
  EXPECT_EQ(humanDuration(seconds(600)), "10m");
  EXPECT_EQ(humanDuration(seconds(3 * 3600 + 120)), "3h2m");
  EXPECT_EQ(humanDuration(seconds(30 * 3600)), "30h");
  EXPECT_EQ(humanDuration(seconds(3 * 86400 + 7200)), "3d2h");
  EXPECT_EQ(humanDuration(seconds(400 * 86400)), "400d");
}

TEST(ApiserverJsonPathTest, FieldsIndexesAndFilters) {
  json o = json::parse(
      R"({"status":{"phase":"Healthy","conditions":[{"type":"A","status":"False"},{"type":"Ready","status":"True"}]},
                           "spec":{"steps":[{"weight":1},{"weight":100}]}})");
  EXPECT_EQ(evalJsonPath(o, ".status.phase"), "Healthy");
  EXPECT_EQ(evalJsonPath(o, "{.spec.steps[1].weight}"), 100);
  EXPECT_EQ(evalJsonPath(o, ".spec.steps[-1].weight"), 100);
  EXPECT_EQ(evalJsonPath(o, ".status.conditions[?(@.type==\"Ready\")].status"), "True");
  EXPECT_TRUE(evalJsonPath(o, ".status.missing.deeper").is_null());
  EXPECT_TRUE(evalJsonPath(o, ".spec.steps[5]").is_null());
}

TEST(ApiserverTableTest, CustomResourceColumnsIncludingWide) {
  ResourceType t;
  t.group = "x.io";
  t.plural = "widgets";
  t.kind = "Widget";
  t.custom = true;
  ServedVersion v;
  v.name = "v1";
  v.columns = {{"Phase", "string", "", "", ".status.phase", 0},
               {"Weight", "integer", "", "", ".status.weight", 0},
               {"Msg", "string", "", "", ".status.message", 1},
               {"Age", "date", "", "", ".metadata.creationTimestamp", 0}};
  t.versions.push_back(v);
  SystemTime now = parseRfc3339("2026-01-01T01:00:00Z").value();
  auto obj = std::make_shared<const json>(json::parse(
      R"({"metadata":{"name":"w","namespace":"default","creationTimestamp":"2026-01-01T00:00:00Z"},
                                                          "status":{"phase":"Progressing","weight":10}})"));
  json table = buildTable(t, "v1", {obj}, now, true);
  EXPECT_EQ(table["kind"], "Table");
  ASSERT_EQ(table["columnDefinitions"].size(), 5u);
  EXPECT_EQ(table["columnDefinitions"][0]["name"], "Name");
  EXPECT_EQ(table["columnDefinitions"][3]["priority"], 1);
  EXPECT_EQ(table["rows"][0]["cells"], json::parse(R"(["w","Progressing",10,null,"60m"])"));
  EXPECT_EQ(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(table["rows"][0]["object"]["metadata"]["namespace"], "default");
}

}  // namespace
}  // namespace mr::apiserver
