#include "object_store.h"

#include <gtest/gtest.h>

#include "common/fake_clock.h"

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

Result<ObjPtr> put(ObjectStore& s, const std::string& name, json labels = json::object(),
                   json owners = json()) {
  return s.mutate("widgets", "default", name, [&](const ObjPtr&) -> Result<Mutation> {
    json o = {{"metadata", {{"name", name}, {"namespace", "default"}, {"labels", labels}}}};
    if (!owners.is_null()) o["metadata"]["ownerReferences"] = owners;
    return Mutation{Mutation::Kind::kPut, o};
  });
}

Result<ObjPtr> remove(ObjectStore& s, const std::string& name) {
  return s.mutate("widgets", "default", name, [](const ObjPtr&) -> Result<Mutation> {
    return Mutation{Mutation::Kind::kDelete, {}};
  });
}

TEST(ApiserverObjectStoreTest, ResourceVersionIsGlobalAndMonotonic) {
  FakeClock clock;
  ObjectStore s(clock, 100);
  ASSERT_TRUE(put(s, "a").isOk());
  ASSERT_TRUE(put(s, "b").isOk());
  auto a2 = put(s, "a");
  ASSERT_TRUE(a2.isOk());
  EXPECT_EQ((*a2.value())["metadata"]["resourceVersion"], "3");
  EXPECT_EQ(s.currentRv(), 3);
  auto del = remove(s, "b");
  ASSERT_TRUE(del.isOk());
  EXPECT_EQ((*del.value())["metadata"]["resourceVersion"], "4");
  EXPECT_EQ(s.get("widgets", "default", "b"), nullptr);
  EXPECT_EQ(s.objectCount(), 1u);
}

TEST(ApiserverObjectStoreTest, NoneMutationKeepsVersionAndErrorsPropagate) {
  FakeClock clock;
  ObjectStore s(clock, 100);
  ASSERT_TRUE(put(s, "a").isOk());
  auto same = s.mutate("widgets", "default", "a",
                       [](const ObjPtr&) -> Result<Mutation> { return Mutation{}; });
  ASSERT_TRUE(same.isOk());
  EXPECT_EQ(s.currentRv(), 1);
  auto err = s.mutate("widgets", "default", "a", [](const ObjPtr&) -> Result<Mutation> {
    return Status(StatusCode::kConflict, "stale");
  });
  EXPECT_EQ(err.status().code(), StatusCode::kConflict);
}

TEST(ApiserverObjectStoreTest, ListPagesInKeyOrderWithFilterAndNamespace) {
  FakeClock clock;
  ObjectStore s(clock, 100);
  for (const char* n : {"d", "b", "a", "c"})
    ASSERT_TRUE(
        put(s, n, {{"even", std::string(n) == "b" || std::string(n) == "d" ? "y" : "n"}}).isOk());
  ListPage p1 = s.list("widgets", "default", "", 3, nullptr);
  ASSERT_EQ(p1.items.size(), 3u);
  EXPECT_EQ((*p1.items[0])["metadata"]["name"], "a");
  EXPECT_EQ(p1.next_key, "default/c");
  EXPECT_EQ(p1.remaining, 1);
  ListPage p2 = s.list("widgets", "default", p1.next_key, 3, nullptr);
  ASSERT_EQ(p2.items.size(), 1u);
  EXPECT_TRUE(p2.next_key.empty());
  ListPage even = s.list("widgets", "", "", 0,
                         [](const json& o) { return o["metadata"]["labels"]["even"] == "y"; });
  EXPECT_EQ(even.items.size(), 2u);
  EXPECT_TRUE(s.list("widgets", "other", "", 0, nullptr).items.empty());
}

TEST(ApiserverObjectStoreTest, EventsAfterAndExpiry) {
  FakeClock clock;
  ObjectStore s(clock, 3);
  for (const char* n : {"a", "b", "c", "d", "e"})
    ASSERT_TRUE(put(s, n).isOk());
  bool expired = false;
  int64_t head = 0;
  auto events = s.eventsAfter(2, clock.steadyNow(), 100, expired, head);
  EXPECT_FALSE(expired);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]->rv, 3);
  EXPECT_EQ(events[0]->type, "ADDED");
  EXPECT_EQ(head, 5);
  s.eventsAfter(1, clock.steadyNow(), 100, expired, head);
  EXPECT_TRUE(expired);
  auto none = s.eventsAfter(5, clock.steadyNow(), 100, expired, head);
  EXPECT_FALSE(expired);
  EXPECT_TRUE(none.empty());
  s.compact();
  s.eventsAfter(4, clock.steadyNow(), 100, expired, head);
  EXPECT_TRUE(expired);
  s.eventsAfter(5, clock.steadyNow(), 100, expired, head);
  EXPECT_FALSE(expired);
}

TEST(ApiserverObjectStoreTest, ModifiedEventCarriesPreviousState) {
  FakeClock clock;
  ObjectStore s(clock, 10);
  ASSERT_TRUE(put(s, "a", {{"v", "1"}}).isOk());
  ASSERT_TRUE(put(s, "a", {{"v", "2"}}).isOk());
  bool expired = false;
  int64_t head = 0;
  auto events = s.eventsAfter(1, clock.steadyNow(), 10, expired, head);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->type, "MODIFIED");
  EXPECT_EQ((*events[0]->previous)["metadata"]["labels"]["v"], "1");
  EXPECT_EQ((*events[0]->object)["metadata"]["labels"]["v"], "2");
}

TEST(ApiserverObjectStoreTest, OwnerIndexFollowsWrites) {
  FakeClock clock;
  ObjectStore s(clock, 10);
  ASSERT_TRUE(put(s, "child", json::object(), json::array({{{"uid", "u1"}}})).isOk());
  ASSERT_EQ(s.ownedBy("u1").size(), 1u);
  EXPECT_EQ(std::get<2>(s.ownedBy("u1")[0]), "child");
  ASSERT_TRUE(put(s, "child", json::object(), json::array({{{"uid", "u2"}}})).isOk());
  EXPECT_TRUE(s.ownedBy("u1").empty());
  ASSERT_TRUE(remove(s, "child").isOk());
  EXPECT_TRUE(s.ownedBy("u2").empty());
}

}  // namespace
}  // namespace mr::apiserver
