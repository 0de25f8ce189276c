// RouteReads: which route reads the cache answers and which go to the API server.
#include "reconcile/route_reads.h"

#include <gtest/gtest.h>

#include "common/fake_clock.h"
#include "tests/traffic/fake_api_client.h"

namespace mr::reconcile {
namespace {

using nlohmann::json;
namespace res = k8s::resources;

json route(int canary_weight) {
  json ref = {{"name", "c"}, {"weight", canary_weight}};
  json rule = {{"backendRefs", json::array({ref})}};
  return {{"metadata", {{"name", "r"}, {"namespace", "ml"}}},
          {"spec", {{"rules", json::array({rule})}}}};
}

int weightOf(const json& r) {
  return r["spec"]["rules"][0]["backendRefs"][0]["weight"];
}

class RouteReadsTest : public ::testing::Test {
 protected:
  RouteReadsTest() {
    api.seed(res::httpRoutes(), route(0));
    api.seed(res::deployments(), {{"metadata", {{"name", "r"}, {"namespace", "ml"}}}});
    view = *api.object(res::httpRoutes(), "ml", "r");
  }
  // The cache as the informer would answer: not synced, synced without the object, or `view`.
  enum class CacheState { kNotSynced, kAbsent, kView };
  RouteReads reads(CacheState state) {
    return RouteReads(
        api,
        [this, state](const k8s::ResourceType&, const std::string&,
                      const std::string&) -> std::optional<std::shared_ptr<const json>> {
          if (state == CacheState::kNotSynced) return std::nullopt;
          if (state == CacheState::kAbsent) return nullptr;
          return std::make_shared<const json>(view);
        },
        clock, std::chrono::milliseconds(5000));
  }
  int serverGets() const { return api.count("get"); }

  mr::testing::FakeApiClient api;
  FakeClock clock;
  json view;  // what the cache shows
};

TEST_F(RouteReadsTest, WhoAnswersARead) {
  struct Case {
    const char* name;
    CacheState state;
    const k8s::ResourceType& type;
    int server_gets;
  };
  const Case cases[] = {
      {"synced cache answers a route", CacheState::kView, res::httpRoutes(), 0},
      {"VirtualServices too", CacheState::kView, res::virtualServices(), 0},
      {"cache not synced (CRD missing): GET", CacheState::kNotSynced, res::httpRoutes(), 1},
      {"absent from a synced cache (just created?): GET", CacheState::kAbsent, res::httpRoutes(),
       1},
      {"not a route: always GET", CacheState::kView, res::deployments(), 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RouteReads r = reads(c.state);
    const int before = serverGets();
    auto got = r.get(c.type, "ml", "r");
    EXPECT_EQ(serverGets() - before, c.server_gets);
    EXPECT_EQ(static_cast<int>(r.serverReads()), c.type == res::deployments() ? 0 : c.server_gets);
  }
}

TEST_F(RouteReadsTest, OwnWriteAnswersUntilTheCacheCatchesUpOrTheWaitEnds) {
  RouteReads r = reads(CacheState::kView);
  json mine = view;
  mine["spec"]["rules"][0]["backendRefs"][0]["weight"] = 10;
  auto stored = r.update(res::httpRoutes(), mine);
  ASSERT_TRUE(stored.isOk());
  // The cache still shows the version the PUT replaced: the PUT's response answers.
  auto read = r.get(res::httpRoutes(), "ml", "r");
  ASSERT_TRUE(read.isOk());
  EXPECT_EQ(weightOf(*read), 10);
  EXPECT_EQ((*read)["metadata"]["resourceVersion"], (*stored)["metadata"]["resourceVersion"]);
  // Past own_write_wait the cache is believed again (a lost watch event must not pin a copy).
  clock.advance(std::chrono::milliseconds(5000));
  read = r.get(res::httpRoutes(), "ml", "r");
  EXPECT_EQ(weightOf(*read), 0);
  // A PUT of a stale copy conflicts: the next read goes to the server, and only that one.
  auto conflict = r.update(res::httpRoutes(), mine);  // still carries the replaced version
  EXPECT_EQ(conflict.status().code(), StatusCode::kConflict);
  read = r.get(res::httpRoutes(), "ml", "r");
  EXPECT_EQ(weightOf(*read), 10) << "the server's copy";
  EXPECT_EQ(serverGets(), 1);
  read = r.get(res::httpRoutes(), "ml", "r");
  EXPECT_EQ(weightOf(*read), 0) << "the cache again";
  EXPECT_EQ(serverGets(), 1);
}

}  // namespace
}  // namespace mr::reconcile
