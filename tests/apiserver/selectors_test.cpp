#include "selectors.h"

#include <gtest/gtest.h>

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

TEST(ApiserverLabelSelectorTest, EqualityAndInequality) {
  auto s = LabelSelector::parse("app=web,tier!=db");
  ASSERT_TRUE(s.isOk());
  EXPECT_TRUE(s->matches(json{{"app", "web"}, {"tier", "front"}}));
  EXPECT_TRUE(s->matches(json{{"app", "web"}}));
  EXPECT_FALSE(s->matches(json{{"app", "web"}, {"tier", "db"}}));
  EXPECT_FALSE(s->matches(json{{"app", "api"}}));
  EXPECT_FALSE(s->matches(json()));
}

TEST(ApiserverLabelSelectorTest, DoubleEqualsIsEquality) {
  auto s = LabelSelector::parse("modelrollout.io/role==canary");
  ASSERT_TRUE(s.isOk());
  EXPECT_TRUE(s->matches(json{{"modelrollout.io/role", "canary"}}));
  EXPECT_FALSE(s->matches(json{{"modelrollout.io/role", "stable"}}));
}

TEST(ApiserverLabelSelectorTest, SetBased) {
  auto s = LabelSelector::parse("env in (prod, staging),release notin (v1),owner,!legacy");
  ASSERT_TRUE(s.isOk());
  EXPECT_TRUE(s->matches(json{{"env", "prod"}, {"release", "v2"}, {"owner", "x"}}));
  EXPECT_TRUE(s->matches(json{{"env", "staging"}, {"owner", "x"}}));
  EXPECT_FALSE(s->matches(json{{"env", "dev"}, {"owner", "x"}}));
  EXPECT_FALSE(s->matches(json{{"env", "prod"}, {"release", "v1"}, {"owner", "x"}}));
  EXPECT_FALSE(s->matches(json{{"env", "prod"}}));
  EXPECT_FALSE(s->matches(json{{"env", "prod"}, {"owner", "x"}, {"legacy", "true"}}));
}

TEST(ApiserverLabelSelectorTest, EmptyMatchesEverything) {
  auto s = LabelSelector::parse("");
  ASSERT_TRUE(s.isOk());
  EXPECT_TRUE(s->empty());
  EXPECT_TRUE(s->matches(json()));
}

TEST(ApiserverLabelSelectorTest, RejectsMalformed) {
  EXPECT_FALSE(LabelSelector::parse("env in prod").isOk());
  EXPECT_FALSE(LabelSelector::parse("a=b,,c=d").isOk());
  EXPECT_FALSE(LabelSelector::parse("bad key=x").isOk());
}

TEST(ApiserverFieldSelectorTest, MetadataNameAndNamespace) {
  auto s = FieldSelector::parse("metadata.name=a,metadata.namespace!=kube-system");
  ASSERT_TRUE(s.isOk());
  EXPECT_TRUE(s->matches(json{{"metadata", {{"name", "a"}, {"namespace", "default"}}}}));
  EXPECT_FALSE(s->matches(json{{"metadata", {{"name", "b"}, {"namespace", "default"}}}}));
  EXPECT_FALSE(s->matches(json{{"metadata", {{"name", "a"}, {"namespace", "kube-system"}}}}));
  EXPECT_FALSE(FieldSelector::parse("metadata.name").isOk());
}

}  // namespace
}  // namespace mr::apiserver
