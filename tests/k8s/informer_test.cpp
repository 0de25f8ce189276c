#include "k8s/informer.h"

#include <gtest/gtest.h>

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
