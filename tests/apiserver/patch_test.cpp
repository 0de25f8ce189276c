#include "patch.h"

#include <gtest/gtest.h>

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

TEST(ApiserverMergePatchTest, MergesObjectsAndDeletesNulls) {
  json base = {{"spec", {{"replicas", 1}, {"paused", true}}}, {"metadata", {{"name", "a"}}}};
  auto out = applyMergePatch(base, json{{"spec", {{"replicas", 3}, {"paused", nullptr}}}});
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(out.value(), (json{{"spec", {{"replicas", 3}}}, {"metadata", {{"name", "a"}}}}));
}

TEST(ApiserverMergePatchTest, ReplacesLists) {
  json base = {{"steps", {{{"weight", 1}}, {{"weight", 100}}}}};
  auto out = applyMergePatch(base, json{{"steps", {{{"weight", 50}}}}});
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(out.value()["steps"].size(), 1u);
}

TEST(ApiserverJsonPatchTest, AppliesOperationsAndFailsWith422) {
  json base = {{"metadata", {{"labels", {{"a", "1"}}}}}};
  auto ok =
      applyJsonPatch(base, json::parse(R"([{"op":"add","path":"/metadata/labels/b","value":"2"},
                                                 {"op":"remove","path":"/metadata/labels/a"}])"));
  ASSERT_TRUE(ok.isOk());
  EXPECT_EQ(ok.value()["metadata"]["labels"], (json{{"b", "2"}}));
  auto failed = applyJsonPatch(
      base, json::parse(R"([{"op":"test","path":"/metadata/labels/a","value":"9"}])"));
  ASSERT_FALSE(failed.isOk());
  EXPECT_EQ(failed.status().httpCode(), 422);
  auto malformed = applyJsonPatch(base, json{{"op", "add"}});
  ASSERT_FALSE(malformed.isOk());
  EXPECT_EQ(malformed.status().httpCode(), 400);
}

TEST(ApiserverStrategicMergePatchTest, MergesContainersByNameAndEnvByName) {
  json base = json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"server","image":"a:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
      {"name":"sidecar","image":"s:1"}]}}}})");
  json patch = json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"server","image":"a:2","env":[{"name":"B","value":"3"}]}]}}}})");
  auto out = applyStrategicMergePatch(base, patch);
  ASSERT_TRUE(out.isOk());
  const json& cs = out.value()["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0]["image"], "a:2");
  EXPECT_EQ(cs[0]["env"], json::parse(R"([{"name":"A","value":"1"},{"name":"B","value":"3"}])"));
  EXPECT_EQ(cs[1]["name"], "sidecar");
}

TEST(ApiserverStrategicMergePatchTest, DeleteDirectiveAndSetElementOrder) {
  json base = json::parse(R"({"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]})");
  json patch = json::parse(R"({"$setElementOrder/containers":[{"name":"c"},{"name":"a"}],
                               "containers":[{"name":"b","$patch":"delete"}]})");
  auto out = applyStrategicMergePatch(base, patch);
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(out.value()["containers"], json::parse(R"([{"name":"c"},{"name":"a"}])"));
}

TEST(ApiserverStrategicMergePatchTest, ServicePortsMergeByPortContainerPortsByContainerPort) {
  json svc = json::parse(R"({"ports":[{"port":80,"name":"http"},{"port":443,"name":"https"}]})");
  auto out =
      applyStrategicMergePatch(svc, json::parse(R"({"ports":[{"port":443,"targetPort":8443}]})"));
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(out.value()["ports"].size(), 2u);
  EXPECT_EQ(out.value()["ports"][1]["targetPort"], 8443);
  json ctr = json::parse(R"({"ports":[{"containerPort":8080}]})");
  auto out2 = applyStrategicMergePatch(ctr, json::parse(R"({"ports":[{"containerPort":9090}]})"));
  ASSERT_TRUE(out2.isOk());
  EXPECT_EQ(out2.value()["ports"].size(), 2u);
}

TEST(ApiserverStrategicMergePatchTest, NullDeletesAndRetainKeys) {
  json base =
      json::parse(R"({"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},"x":1})");
  json patch = json::parse(R"({"x":null,"strategy":{"$retainKeys":["type"],"type":"Recreate"}})");
  auto out = applyStrategicMergePatch(base, patch);
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(out.value(), json::parse(R"({"strategy":{"type":"Recreate"}})"));
}

}  // namespace
}  // namespace mr::apiserver
