#include "analysis/query_template.h"

#include <gtest/gtest.h>

namespace mr::analysis {
namespace {

TemplateVars vars() {
  return {"ml", "fraud", "canary", "abc123", "old1", "abc123", std::chrono::minutes(5)};
}

TEST(QueryTemplateTest, ReplacesEveryVariable) {
  auto r = renderQuery(
      "x{namespace=\"{{namespace}}\",rollout=\"{{rollout}}\",role=\"{{role}}\","
      "revision=\"{{revision}}\"}[{{window}}] / y{revision=~\"{{stableRevision}}|"
      "{{canaryRevision}}\"}",
      vars());
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(*r,
            "x{namespace=\"ml\",rollout=\"fraud\",role=\"canary\",revision=\"abc123\"}[300s] / "
            "y{revision=~\"old1|abc123\"}");
}

TEST(QueryTemplateTest, ToleratesWhitespaceInsideBraces) {
  EXPECT_EQ(*renderQuery("a{{ rollout }}b{{\tnamespace\t}}", vars()), "afraudbml");
}

TEST(QueryTemplateTest, UnknownVariableIsAnErrorNamingIt) {
  auto r = renderQuery("x{pod=\"{{pod}}\"}", vars());
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("{{pod}}"), std::string::npos);
}

TEST(QueryTemplateTest, UnclosedBracesAreAnError) {
  EXPECT_FALSE(renderQuery("x{{rollout", vars()).isOk());
}

TEST(QueryTemplateTest, EscapesLabelValues) {
  auto v = vars();
  v.rollout = "a\"b\\c\nd";
  EXPECT_EQ(*renderQuery("{r=\"{{rollout}}\"}", v), "{r=\"a\\\"b\\\\c\\nd\"}");
}

TEST(QueryTemplateTest, WindowDurations) {
  EXPECT_EQ(promqlDuration(std::chrono::milliseconds(300000)), "300s");
  EXPECT_EQ(promqlDuration(std::chrono::milliseconds(1500)), "1500ms");
}

TEST(QueryTemplateTest, TextWithoutVariablesIsUnchanged) {
  EXPECT_EQ(*renderQuery("sum(rate(x[1m])) > bool 0", vars()), "sum(rate(x[1m])) > bool 0");
}

}  // namespace
}  // namespace mr::analysis
