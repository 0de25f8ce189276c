#include "k8s/informer.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "fake_api_client.h"
#include "k8s/label_selector.h"
#include "test_clock.h"

namespace mr::k8s {
namespace {

using testing::makeList;
using testing::makeObject;
using testing::ScriptedApiClient;

TEST(LabelSelector, ParsesAndMatchesEqualitySetAndExistence) {
  auto sel = LabelSelector::parse("app=web, tier!=db,env in (prod, staging),!legacy,team");
  ASSERT_TRUE(sel.isOk()) << sel.status().toString();
  EXPECT_EQ(sel->requirements().size(), 5u);
  EXPECT_TRUE(sel->matches({{"app", "web"}, {"env", "prod"}, {"team", "a"}}));
  EXPECT_FALSE(sel->matches({{"app", "web"}, {"env", "dev"}, {"team", "a"}}));
  EXPECT_FALSE(sel->matches({{"app", "web"}, {"env", "prod"}, {"team", "a"}, {"legacy", "1"}}));
  EXPECT_FALSE(sel->matches({{"app", "web"}, {"env", "prod"}, {"team", "a"}, {"tier", "db"}}));
  EXPECT_FALSE(sel->matches({{"app", "web"}, {"env", "prod"}}));
  auto notin = LabelSelector::parse("env notin (prod)");
  ASSERT_TRUE(notin.isOk());
  EXPECT_TRUE(notin->matches(Json()));
  EXPECT_FALSE(notin->matches({{"env", "prod"}}));
  EXPECT_EQ(LabelSelector::parse(sel->toString())->toString(), sel->toString());
}

TEST(LabelSelector, RejectsMalformedAndEmptySelectsAll) {
  EXPECT_FALSE(LabelSelector::parse("a in b").isOk());
  EXPECT_FALSE(LabelSelector::parse("a=b,,c").isOk());
  EXPECT_FALSE(LabelSelector::parse("a b=c").isOk());
  auto all = LabelSelector::parse("");
  ASSERT_TRUE(all.isOk());
  EXPECT_TRUE(all->matches({{"x", "y"}}));
}

TEST(LabelSelector, FromMetav1LabelSelector) {
  auto sel = LabelSelector::fromJson(Json::parse(
      R"({"matchLabels":{"app":"a"},"matchExpressions":[{"key":"v","operator":"In","values":["1","2"]}]})"));
  ASSERT_TRUE(sel.isOk());
  EXPECT_EQ(sel->toString(), "app=a,v in (1,2)");
  EXPECT_TRUE(sel->matches({{"app", "a"}, {"v", "2"}}));
  EXPECT_FALSE(
      LabelSelector::fromJson(Json::parse(R"({"matchExpressions":[{"key":"v","operator":"Gt"}]})"))
          .isOk());
}

class InformerTest : public ::testing::Test {
 protected:
  testing::TestClock clock_;
  ScriptedApiClient api_;
  Informer informer_{api_, resources::configMaps(), {}, clock_};
};

TEST_F(InformerTest, NotSyncedUntilFirstListThenReplaceIsWhole) {
  EXPECT_FALSE(informer_.hasSynced());
  EXPECT_EQ(informer_.size(), 0u);
  informer_.replace({makeObject("a", "x", "1"), makeObject("b", "y", "2")}, "2");
  EXPECT_TRUE(informer_.hasSynced());
  EXPECT_EQ(informer_.size(), 2u);
  EXPECT_EQ(informer_.list("a").size(), 1u);
  EXPECT_EQ(informer_.list().size(), 2u);
}

TEST_F(InformerTest, ListFiltersByLabelSelectorAndNamespace) {
  informer_.replace({makeObject("ns", "one", "1", {{"modelrollout.io/rollout", "r1"}}),
                     makeObject("ns", "two", "2", {{"modelrollout.io/rollout", "r2"}}),
                     makeObject("other", "three", "3", {{"modelrollout.io/rollout", "r1"}})},
                    "3");
  auto sel = LabelSelector::parse("modelrollout.io/rollout=r1");
  ASSERT_TRUE(sel.isOk());
  EXPECT_EQ(informer_.list("", *sel).size(), 2u);
  auto in_ns = informer_.list("ns", *sel);
  ASSERT_EQ(in_ns.size(), 1u);
  EXPECT_EQ((*in_ns[0])["metadata"]["name"], "one");
}

TEST_F(InformerTest, ManagedFieldsAreStrippedOnIngest) {
  Json obj = makeObject("ns", "x", "1");
  obj["metadata"]["managedFields"] = Json::array({{{"manager", "kubectl"}}});
  informer_.apply(WatchEventType::kAdded, obj);
  auto stored = informer_.get("ns", "x");
  ASSERT_NE(stored, nullptr);
  EXPECT_FALSE(stored->at("metadata").contains("managedFields"));
  EXPECT_EQ(stored->at("metadata")["resourceVersion"], "1");
}

TEST_F(InformerTest, TransformAndLastAppliedStripApplyToListsAndWatchEvents) {
  InformerOptions options;
  options.transform = [](Json o) {
    o.erase("data");
    return o;
  };
  Informer informer(api_, resources::configMaps(), options, clock_);
  Json listed = makeObject("ns", "a", "1");
  listed["data"] = {{"big", std::string(4096, 'x')}};
  listed["metadata"]["annotations"] = {{"kubectl.kubernetes.io/last-applied-configuration", "{}"},
                                       {"keep", "me"}};
  informer.replace({listed}, "1");
  Json watched = makeObject("ns", "b", "2");
  watched["data"] = {{"k", "v"}};
  informer.apply(WatchEventType::kAdded, watched);
  for (const char* name : {"a", "b"}) {
    auto stored = informer.get("ns", name);
    ASSERT_NE(stored, nullptr) << name;
    EXPECT_FALSE(stored->contains("data")) << name;
  }
  EXPECT_EQ(informer.get("ns", "a")->at("metadata")["annotations"], Json({{"keep", "me"}}));
}

TEST(PackedObject, RoundTripsAndIsSmallerThanTheText) {
  Json object = makeObject("ns", "x", "7", {{"app", "m"}});
  object["spec"] = {{"values", Json::array()}};
  for (int i = 0; i < 200; ++i)
    object["spec"]["values"].push_back({{"name", "metric-" + std::to_string(i)}, {"value", i}});
  const PackedObject packed(object);
  EXPECT_EQ(packed.unpack(), object);
  EXPECT_LT(packed.packedBytes() * 3, object.dump().size());
  EXPECT_TRUE(PackedObject().unpack().is_null());
}

TEST_F(InformerTest, RelistReportsChangesAgainstThePreviousStore) {
  std::vector<std::string> log;
  Informer informer(api_, resources::configMaps(), {}, clock_);
  informer.addHandler(
      {[&](const ObjectPtr& o) { log.push_back("add " + o->at("metadata").value("name", "")); },
       [&](const ObjectPtr& a, const ObjectPtr& b) {
         log.push_back("update " + a->at("metadata").value("resourceVersion", "") + "->" +
                       b->at("metadata").value("resourceVersion", ""));
       },
       [&](const ObjectPtr& o) {
         log.push_back("delete " + o->at("metadata").value("name", ""));
       }});
  informer.replace({makeObject("ns", "keep", "1"), makeObject("ns", "gone", "2")}, "2");
  log.clear();
  informer.beginList();
  informer.addListItem(makeObject("ns", "keep", "5"));
  informer.addListItem(makeObject("ns", "new", "6"));
  EXPECT_EQ(informer.size(), 2u);  // nothing visible until the list ends
  EXPECT_NE(informer.get("ns", "gone"), nullptr);
  informer.endList("6");
  std::sort(log.begin(), log.end());
  EXPECT_EQ(log, (std::vector<std::string>{"add new", "delete gone", "update 1->5"}));
  EXPECT_EQ(informer.get("ns", "gone"), nullptr);
}

TEST_F(InformerTest, HandlersSeeAddUpdateDeleteWithOldAndNew) {
  std::vector<std::string> log;
  Informer informer(api_, resources::configMaps(), {}, clock_);
  informer.addHandler({[&](const ObjectPtr& o) {
                         log.push_back("add@" + o->at("metadata").value("resourceVersion", ""));
                       },
                       [&](const ObjectPtr& a, const ObjectPtr& b) {
                         log.push_back("update@" + a->at("metadata").value("resourceVersion", "") +
                                       "->" + b->at("metadata").value("resourceVersion", ""));
                       },
                       [&](const ObjectPtr& o) {
                         log.push_back("delete@" + o->at("metadata").value("resourceVersion", ""));
                       }});
  informer.apply(WatchEventType::kAdded, makeObject("ns", "x", "1"));
  informer.apply(WatchEventType::kModified, makeObject("ns", "x", "2"));
  informer.apply(WatchEventType::kDeleted, makeObject("ns", "x", "3"));
  EXPECT_EQ(log, (std::vector<std::string>{"add@1", "update@1->2", "delete@3"}));
  EXPECT_EQ(informer.get("ns", "x"), nullptr);
}

TEST_F(InformerTest, ReadersKeepTheirSnapshotAfterUpdate) {
  informer_.apply(WatchEventType::kAdded, makeObject("ns", "x", "1"));
  ObjectPtr before = informer_.get("ns", "x");
  informer_.apply(WatchEventType::kModified, makeObject("ns", "x", "2"));
  EXPECT_EQ(before->at("metadata")["resourceVersion"], "1");
  EXPECT_EQ(informer_.get("ns", "x")->at("metadata")["resourceVersion"], "2");
}

TEST_F(InformerTest, RunsReflectorOnItsThreadAndSyncs) {
  api_.pushList(makeList({makeObject("ns", "x", "1")}, "1"));
  api_.pushWatch(
      {{testing::event(WatchEventType::kAdded, makeObject("ns", "y", "2"))}, Status::ok()});
  informer_.start();
  for (int i = 0; i < 2000 && informer_.size() < 2; ++i)
    RealClock::instance().sleepFor(Millis(1));
  EXPECT_TRUE(informer_.hasSynced());
  EXPECT_EQ(informer_.size(), 2u);
  informer_.stop();
}

}  // namespace
}  // namespace mr::k8s
