// The fake is shared by other parts' tests, so its API-server semantics are tested here.
#include "tests/traffic/fake_api_client.h"

#include <gtest/gtest.h>

namespace mr::testing {
namespace {

using k8s::Json;

const k8s::ResourceType& mrs() {
  return k8s::resources::modelRollouts();
}

Json rollout(const std::string& name) {
  return {{"metadata", {{"name", name}, {"labels", {{"team", "risk"}}}}},
          {"spec", {{"replicas", 2}}},
          {"status", {{"phase", "Healthy"}}}};
}

TEST(FakeApiClientTest, CreateGetAndAlreadyExists) {
  FakeApiClient api;
  api.setStatusSubresource(mrs());
  auto created = api.create(mrs(), "ml", rollout("a"));
  ASSERT_TRUE(created.isOk());
  EXPECT_EQ((*created)["metadata"]["generation"], 1);
  EXPECT_EQ((*created)["metadata"]["namespace"], "ml");
  EXPECT_FALSE(created->contains("status"));  // status subresource drops it on create
  EXPECT_EQ(api.create(mrs(), "ml", rollout("a")).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(api.get(mrs(), "ml", "b").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(api.get(mrs(), "ml", "b").status().httpCode(), 404);
}

TEST(FakeApiClientTest, UpdateChecksResourceVersionAndBumpsGeneration) {
  FakeApiClient api;
  Json a = *api.create(mrs(), "ml", rollout("a"));
  Json stale = a;
  a["spec"]["replicas"] = 3;
  auto updated = api.update(mrs(), a);
  ASSERT_TRUE(updated.isOk());
  EXPECT_EQ((*updated)["metadata"]["generation"], 2);
  EXPECT_NE((*updated)["metadata"]["resourceVersion"], a["metadata"]["resourceVersion"]);
  stale["spec"]["replicas"] = 9;
  const Status conflict = api.update(mrs(), stale).status();
  EXPECT_EQ(conflict.code(), StatusCode::kConflict);
  EXPECT_EQ(conflict.httpCode(), 409);
  stale["metadata"].erase("resourceVersion");
  EXPECT_EQ(api.update(mrs(), stale).status().code(), StatusCode::kInvalidArgument);
}

TEST(FakeApiClientTest, StatusSubresourceSeparatesSpecAndStatus) {
  FakeApiClient api;
  api.setStatusSubresource(mrs());
  Json a = *api.create(mrs(), "ml", rollout("a"));
  a["status"] = {{"phase", "Progressing"}};
  a["spec"]["replicas"] = 7;
  auto after_status = api.updateStatus(mrs(), a);
  ASSERT_TRUE(after_status.isOk());
  EXPECT_EQ((*after_status)["status"]["phase"], "Progressing");
  EXPECT_EQ((*after_status)["spec"]["replicas"], 2);  // spec ignored on /status
  EXPECT_EQ((*after_status)["metadata"]["generation"], 1);
  auto merged = api.patch(mrs(), "ml", "a", k8s::PatchType::kMerge,
                          Json::parse(R"({"spec": {"paused": true}, "status": {"phase": "X"}})"));
  ASSERT_TRUE(merged.isOk());
  EXPECT_EQ((*merged)["spec"]["paused"], true);
  EXPECT_EQ((*merged)["status"]["phase"], "Progressing");  // status ignored on main endpoint
}

TEST(FakeApiClientTest, MergeAndJsonPatch) {
  FakeApiClient api;
  api.create(mrs(), "ml", rollout("a")).value();
  auto merged = api.patch(mrs(), "ml", "a", k8s::PatchType::kMerge,
                          Json::parse(R"({"metadata": {"annotations": {"x": "1"},
                                          "labels": {"team": null}}})"));
  ASSERT_TRUE(merged.isOk());
  EXPECT_EQ((*merged)["metadata"]["annotations"]["x"], "1");
  EXPECT_FALSE((*merged)["metadata"]["labels"].contains("team"));
  const std::string rv = (*merged)["metadata"]["resourceVersion"];
  auto stale_merge = api.patch(mrs(), "ml", "a", k8s::PatchType::kMerge,
                               Json{{"metadata", {{"resourceVersion", "1"}}}});
  EXPECT_EQ(stale_merge.status().code(), StatusCode::kConflict);
  auto failed_test = api.patch(mrs(), "ml", "a", k8s::PatchType::kJson, Json::parse(R"([
      {"op": "test", "path": "/metadata/resourceVersion", "value": "1"},
      {"op": "replace", "path": "/spec/replicas", "value": 5}])"));
  EXPECT_EQ(failed_test.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(failed_test.status().httpCode(), 422);
  auto json_patch =
      api.patch(mrs(), "ml", "a", k8s::PatchType::kJson,
                Json::array({{{"op", "test"}, {"path", "/metadata/resourceVersion"}, {"value", rv}},
                             {{"op", "replace"}, {"path", "/spec/replicas"}, {"value", 5}}}));
  ASSERT_TRUE(json_patch.isOk());
  EXPECT_EQ((*json_patch)["spec"]["replicas"], 5);
}

TEST(FakeApiClientTest, ListFiltersByNamespaceAndLabels) {
  FakeApiClient api;
  api.create(mrs(), "ml", rollout("a")).value();
  api.create(mrs(), "other", rollout("b")).value();
  Json c = rollout("c");
  c["metadata"]["labels"]["team"] = "ads";
  api.create(mrs(), "ml", c).value();
  EXPECT_EQ((*api.list(mrs(), "", {}))["items"].size(), 3u);
  EXPECT_EQ((*api.list(mrs(), "ml", {}))["items"].size(), 2u);
  auto risk = api.list(mrs(), "", k8s::ListOptions{"team=risk", "", "", 0, ""});
  ASSERT_EQ((*risk)["items"].size(), 2u);
  EXPECT_EQ((*risk)["items"][0]["metadata"]["name"], "a");
}

TEST(FakeApiClientTest, InjectedErrorsAreConsumed) {
  FakeApiClient api;
  api.create(mrs(), "ml", rollout("a")).value();
  api.injectError("get", unavailable("down"), 2, "modelrollouts");
  EXPECT_EQ(api.get(mrs(), "ml", "a").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(api.get(mrs(), "ml", "a").status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(api.get(mrs(), "ml", "a").isOk());
  EXPECT_EQ(api.count("get"), 3);
}

TEST(FakeApiClientTest, RemoveAndWatchReplay) {
  FakeApiClient api;
  api.create(mrs(), "ml", rollout("a")).value();
  api.create(mrs(), "ml", rollout("b")).value();
  ASSERT_TRUE(api.remove(mrs(), "ml", "a").isOk());
  EXPECT_EQ(api.remove(mrs(), "ml", "a").code(), StatusCode::kNotFound);
  std::vector<std::string> seen;
  k8s::CancelToken cancel;
  ASSERT_TRUE(
      api.watch(
             mrs(), "ml", {},
             [&](const k8s::WatchEvent& e) { seen.push_back(e.object["metadata"]["name"]); },
             cancel)
          .isOk());
  EXPECT_EQ(seen, std::vector<std::string>{"b"});
}

}  // namespace
}  // namespace mr::testing
