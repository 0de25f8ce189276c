#include "object_rules.h"

#include <gtest/gtest.h>

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

ResourceTypePtr widgetType() {
  json crd = json::parse(
      R"({"metadata":{"name":"widgets.x.io"},"spec":{"group":"x.io","scope":"Namespaced",
    "names":{"plural":"widgets","kind":"Widget","shortNames":["wd"]},
    "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
      "schema":{"openAPIV3Schema":{"type":"object","properties":{
        "spec":{"type":"object","properties":{"replicas":{"type":"integer","default":1}}},
        "status":{"type":"object","properties":{"phase":{"type":"string"}}}}}}}]}})");
  return resourceTypeFromCrd(crd).value();
}

TEST(ApiserverResourceTypeFromCrdTest, ReadsNamesScopeAndSubresources) {
  ResourceTypePtr t = widgetType();
  EXPECT_EQ(t->key(), "widgets.x.io");
  EXPECT_EQ(t->singular, "widget");
  EXPECT_EQ(t->list_kind, "WidgetList");
  EXPECT_TRUE(t->namespaced);
  EXPECT_EQ(t->short_names, std::vector<std::string>{"wd"});
  EXPECT_TRUE(t->version("v1")->status_subresource);
  EXPECT_FALSE(
      resourceTypeFromCrd(json::parse(R"({"metadata":{"name":"wrong"},"spec":{"group":"x.io",
      "names":{"plural":"widgets","kind":"Widget"},"versions":[{"name":"v1","served":true,"storage":true}]}})"))
          .isOk());
}

TEST(ApiserverObjectRulesTest, CreateDropsStatusSetsMetadataAndDefaults) {
  ResourceTypePtr t = widgetType();
  RuleContext ctx{*t, "v1", SystemTime(std::chrono::seconds(1'800'000'000))};
  json obj = {{"apiVersion", "x.io/v1"},
              {"kind", "Widget"},
              {"metadata", {{"name", "a"}, {"resourceVersion", "9"}}},
              {"spec", json::object()},
              {"status", {{"phase", "X"}}}};
  ASSERT_FALSE(prepareCreate(ctx, obj).has_value());
  EXPECT_FALSE(obj.contains("status"));
  EXPECT_EQ(obj["metadata"]["generation"], 1);
  EXPECT_FALSE(obj["metadata"].contains("resourceVersion"));
  EXPECT_EQ(obj["metadata"]["uid"].get<std::string>().size(), 36u);
  EXPECT_EQ(obj["metadata"]["creationTimestamp"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(obj["spec"]["replicas"], 1);
}

TEST(ApiserverObjectRulesTest, GenerationBumpsOnlyOnSpecAndStatusSplitsBothWays) {
  ResourceTypePtr t = widgetType();
  RuleContext ctx{*t, "v1", SystemTime(std::chrono::seconds(1'800'000'000))};
  json old = {
      {"apiVersion", "x.io/v1"},
      {"kind", "Widget"},
      {"metadata", {{"name", "a"}, {"uid", "u"}, {"generation", 1}, {"resourceVersion", "5"}}},
      {"spec", {{"replicas", 1}}},
      {"status", {{"phase", "Old"}}}};
  bool changed = false;
  json labels_only = old;
  labels_only["metadata"]["labels"] = {{"k", "v"}};
  labels_only["status"] = {{"phase", "Ignored"}};
  ASSERT_FALSE(prepareUpdate(ctx, old, labels_only, false, changed).has_value());
  EXPECT_TRUE(changed);
  EXPECT_EQ(labels_only["metadata"]["generation"], 1);
  EXPECT_EQ(labels_only["status"]["phase"], "Old");

  json spec_change = old;
  spec_change["spec"]["replicas"] = 3;
  spec_change["metadata"]["uid"] = "forged";
  ASSERT_FALSE(prepareUpdate(ctx, old, spec_change, false, changed).has_value());
  EXPECT_EQ(spec_change["metadata"]["generation"], 2);
  EXPECT_EQ(spec_change["metadata"]["uid"], "u");

  json status_write = old;
  status_write["spec"]["replicas"] = 7;
  status_write["status"]["phase"] = "New";
  ASSERT_FALSE(prepareUpdate(ctx, old, status_write, true, changed).has_value());
  EXPECT_EQ(status_write["status"]["phase"], "New");
  EXPECT_EQ(status_write["spec"]["replicas"], 1);
  EXPECT_EQ(status_write["metadata"]["generation"], 1);

  json same = old;
  ASSERT_FALSE(prepareUpdate(ctx, old, same, false, changed).has_value());
  EXPECT_FALSE(changed);
}

TEST(ApiserverObjectRulesTest, StrictFieldValidationRejectsUnknownFields) {
  ResourceTypePtr t = widgetType();
  std::vector<std::string> warnings;
  json obj = {{"apiVersion", "x.io/v1"},
              {"kind", "Widget"},
              {"metadata", {{"name", "a"}}},
              {"spec", {{"bogus", 1}}}};
  json copy = obj;
  RuleContext strict{*t, "v1", SystemTime(), FieldValidation::kStrict, &warnings};
  auto err = prepareCreate(strict, obj);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, 400);
  EXPECT_NE(err->message.find("unknown field \"spec.bogus\""), std::string::npos);
  RuleContext warn{*t, "v1", SystemTime(), FieldValidation::kWarn, &warnings};
  EXPECT_FALSE(prepareCreate(warn, copy).has_value());
  EXPECT_EQ(warnings, std::vector<std::string>{"unknown field \"spec.bogus\""});
  EXPECT_FALSE(copy["spec"].contains("bogus"));
}

TEST(ApiserverObjectRulesTest, DeploymentDefaultsAndSelectorMustMatch) {
  ResourceRegistry reg;
  ResourceTypePtr t = reg.findByKey("deployments.apps");
  ASSERT_TRUE(t);
  RuleContext ctx{*t, "v1", SystemTime()};
  json d = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
    "spec":{"selector":{"matchLabels":{"app":"x"}},"template":{"metadata":{"labels":{"app":"x"}},
    "spec":{"containers":[{"name":"c","image":"img:1","ports":[{"containerPort":80}]}]}}}})");
  json bad = d;
  ASSERT_FALSE(prepareCreate(ctx, d).has_value());
  EXPECT_EQ(d["spec"]["replicas"], 1);
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"], "TCP");
  bad["spec"]["template"]["metadata"]["labels"]["app"] = "y";
  auto err = prepareCreate(ctx, bad);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, 422);
  EXPECT_NE(err->message.find("spec.template.metadata.labels"), std::string::npos);
}

}  // namespace
}  // namespace mr::apiserver
