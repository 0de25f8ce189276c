// The CEL subset (cel_subset.h): each of the 16 rules of crds/modelrollout.io_modelrollouts.yaml
// accepting and rejecting values, read from the CRD itself so the test follows its edits; then
// the language's semantics the rules lean on (error absorption, numbers, macros, durations)
// and what lies outside the subset.
#include "cel_subset.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cel_value.h"
#include "encoding.h"

namespace mr::apiserver::cel {
namespace {

using json = nlohmann::json;

struct CrdRule {
  std::string node;  // "spec.steps", "spec.analysis.metrics.custom[]"
  size_t index = 0;
  std::string rule;
  json schema;  // the node's schema
};

void collect(const json& s, const std::string& path, std::vector<CrdRule>& out) {
  if (!s.is_object()) return;
  const json rules = s.value("x-kubernetes-validations", json::array());
  for (size_t i = 0; i < rules.size(); ++i)
    out.push_back({path, i, rules[i].value("rule", ""), s});
  const json props = s.value("properties", json::object());
  for (auto it = props.begin(); it != props.end(); ++it)
    collect(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
  if (s.contains("items")) collect(s["items"], path + "[]", out);
}

const std::vector<CrdRule>& crdRules() {
  static const std::vector<CrdRule> rules = [] {
    std::ifstream in("crds/modelrollout.io_modelrollouts.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    json crd = yamlToJson(ss.str()).value();
    std::vector<CrdRule> out;
    collect(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"], "", out);
    return out;
  }();
  return rules;
}

const CrdRule& crdRule(const std::string& node, size_t index) {
  for (const auto& r : crdRules()) {
    if (r.node == node && r.index == index) return r;
  }
  ADD_FAILURE() << "no rule " << index << " at " << node;
  static const CrdRule kNone{"", 0, "true", json::object()};
  return kNone;
}

Evaluation run(const std::string& rule, const json& self, const json& schema = json::object(),
               const json* old_self = nullptr) {
  Result<ProgramPtr> p = compile(rule);
  if (!p.isOk()) {
    ADD_FAILURE() << rule << ": " << p.status().message();
    return {};
  }
  return evaluate(*p.value(), self, schema, old_self);
}

// True/false of a CRD rule on `self`; an evaluation error fails the test.
bool holds(const std::string& node, size_t index, const json& self) {
  const CrdRule& r = crdRule(node, index);
  Evaluation e = run(r.rule, self, r.schema);
  EXPECT_EQ(e.kind, Evaluation::Kind::kBool) << r.rule << " on " << self.dump() << ": " << e.text;
  return e.boolean;
}

std::string errorOf(const std::string& rule, const json& self, const json& schema = {}) {
  Evaluation e = run(rule, self, schema.is_null() ? json::object() : schema);
  EXPECT_EQ(e.kind, Evaluation::Kind::kError) << rule << " on " << self.dump();
  return e.text;
}

TEST(ApiserverCelSubsetTest, TheCrdHasSixteenRulesAndEachCompiles) {
  ASSERT_EQ(crdRules().size(), 16u);
  for (const auto& r : crdRules())
    EXPECT_TRUE(compile(r.rule).isOk()) << r.node << ": " << r.rule;
}

TEST(ApiserverCelSubsetTest, SelectorMustBeContainedInTemplateLabels) {
  auto spec = [](const json& match, const json& template_md) {
    json s = {{"template", {{"spec", json::object()}}}};
    if (!match.is_null()) s["selector"] = {{"matchLabels", match}};
    if (!template_md.is_null()) s["template"]["metadata"] = template_md;
    return s;
  };
  EXPECT_TRUE(holds("spec", 0, spec(nullptr, nullptr)));
  EXPECT_TRUE(holds("spec", 0, {{"selector", json::object()}, {"template", json::object()}}));
  EXPECT_TRUE(holds("spec", 0, spec({{"app", "m"}}, {{"labels", {{"app", "m"}, {"t", "x"}}}})));
  EXPECT_FALSE(holds("spec", 0, spec({{"app", "other"}}, {{"labels", {{"app", "m"}}}})));
  EXPECT_FALSE(holds("spec", 0, spec({{"app", "m"}, {"tier", "a"}}, {{"labels", {{"app", "m"}}}})));
  EXPECT_FALSE(holds("spec", 0, spec({{"app", "m"}}, nullptr)));
  EXPECT_FALSE(holds("spec", 0, spec({{"app", "m"}}, json::object())));
}

TEST(ApiserverCelSubsetTest, TargetPortIsAPortNumberOrAName) {
  const std::string node = "spec.service.targetPort";
  EXPECT_TRUE(holds(node, 0, 8080));
  EXPECT_TRUE(holds(node, 0, 1));
  EXPECT_TRUE(holds(node, 0, 65535));
  EXPECT_TRUE(holds(node, 0, "http"));
  EXPECT_TRUE(holds(node, 0, "fifteen-chars-x"));
  EXPECT_FALSE(holds(node, 0, 0));
  EXPECT_FALSE(holds(node, 0, 65536));
  EXPECT_FALSE(holds(node, 0, ""));
  EXPECT_FALSE(holds(node, 0, "sixteen-chars-xx"));
}

TEST(ApiserverCelSubsetTest, AtMostOneTrafficRouter) {
  EXPECT_TRUE(holds("spec.trafficRouting", 0, json::object()));
  EXPECT_TRUE(holds("spec.trafficRouting", 0, {{"gatewayAPI", {{"httpRoute", "r"}}}}));
  EXPECT_TRUE(holds("spec.trafficRouting", 0, {{"istio", {{"virtualService", "v"}}}}));
  EXPECT_FALSE(holds("spec.trafficRouting", 0,
                     {{"gatewayAPI", {{"httpRoute", "r"}}}, {"istio", {{"virtualService", "v"}}}}));
}

json steps(const std::vector<int>& weights) {
  json out = json::array();
  for (int w : weights)
    out.push_back({{"weight", w}, {"hold", "1m"}});
  return out;
}

TEST(ApiserverCelSubsetTest, StepWeightsStrictlyIncrease) {
  EXPECT_TRUE(holds("spec.steps", 0, steps({1, 10, 50, 100})));
  EXPECT_TRUE(holds("spec.steps", 0, steps({100})));
  EXPECT_FALSE(holds("spec.steps", 0, steps({10, 10, 100})));
  EXPECT_FALSE(holds("spec.steps", 0, steps({50, 10, 100})));
}

TEST(ApiserverCelSubsetTest, LastStepHasWeight100) {
  EXPECT_TRUE(holds("spec.steps", 1, steps({1, 100})));
  EXPECT_FALSE(holds("spec.steps", 1, steps({1, 50})));
  // minItems keeps an empty list out; the rule itself fails to evaluate on one.
  EXPECT_EQ(errorOf(crdRule("spec.steps", 1).rule, json::array()), "index out of bounds: -1");
}

TEST(ApiserverCelSubsetTest, DurationsMustBePositive) {
  for (const char* node : {"spec.analysis.prometheus.timeout", "spec.analysis.interval",
                           "spec.analysis.window", "spec.analysis.inconclusiveTimeout"}) {
    SCOPED_TRACE(node);
    EXPECT_TRUE(holds(node, 0, "1m"));
    EXPECT_TRUE(holds(node, 0, "1h30m"));
    EXPECT_TRUE(holds(node, 0, "0.5s"));
    EXPECT_TRUE(holds(node, 0, "1ns"));
    EXPECT_FALSE(holds(node, 0, "0s"));
    EXPECT_FALSE(holds(node, 0, "0m"));
    EXPECT_FALSE(holds(node, 0, "0.0h"));
    EXPECT_EQ(errorOf(crdRule(node, 0).rule, "ten seconds"),
              "type conversion error from 'string' to 'google.protobuf.Duration'");
  }
}

TEST(ApiserverCelSubsetTest, RelativeToAndMaxRatioGoTogether) {
  for (const char* node : {"spec.analysis.metrics.errorRate", "spec.analysis.metrics.latencyP99"}) {
    SCOPED_TRACE(node);
    EXPECT_TRUE(holds(node, 0, {{"max", 0.01}}));
    EXPECT_TRUE(holds(node, 0, {{"relativeTo", "stable"}, {"maxRatio", 1.5}}));
    EXPECT_FALSE(holds(node, 0, {{"relativeTo", "stable"}}));
    EXPECT_FALSE(holds(node, 0, {{"maxRatio", 2}}));
  }
}

TEST(ApiserverCelSubsetTest, RelativeToExcludesAQuery) {
  for (const char* node : {"spec.analysis.metrics.errorRate", "spec.analysis.metrics.latencyP99"}) {
    SCOPED_TRACE(node);
    EXPECT_TRUE(holds(node, 1, {{"query", "sum(x)"}}));
    EXPECT_TRUE(holds(node, 1, {{"relativeTo", "stable"}, {"maxRatio", 2}}));
    EXPECT_TRUE(holds(node, 1, {{"relativeTo", "stable"}, {"query", ""}}));
    EXPECT_FALSE(holds(node, 1, {{"relativeTo", "stable"}, {"query", "sum(x)"}}));
  }
}

TEST(ApiserverCelSubsetTest, CustomMetricNeedsABound) {
  const std::string node = "spec.analysis.metrics.custom[]";
  EXPECT_TRUE(holds(node, 0, {{"name", "a"}, {"query", "q"}, {"min", 1}}));
  EXPECT_TRUE(holds(node, 0, {{"name", "a"}, {"query", "q"}, {"max", 0.5}}));
  EXPECT_FALSE(holds(node, 0, {{"name", "a"}, {"query", "q"}}));
}

TEST(ApiserverCelSubsetTest, CustomMetricMinDoesNotExceedMax) {
  const std::string node = "spec.analysis.metrics.custom[]";
  EXPECT_TRUE(holds(node, 1, {{"name", "a"}, {"min", 1}, {"max", 1.5}}));
  EXPECT_TRUE(holds(node, 1, {{"name", "a"}, {"min", 2}, {"max", 2.0}}));
  EXPECT_TRUE(holds(node, 1, {{"name", "a"}, {"min", 5}}));
  EXPECT_FALSE(holds(node, 1, {{"name", "a"}, {"min", 2.5}, {"max", 2}}));
}

TEST(ApiserverCelSubsetTest, CustomMetricIsNotNamedLikeTheBuiltInDrift) {
  const std::string node = "spec.analysis.metrics.custom[]";
  EXPECT_TRUE(holds(node, 2, {{"name", "gpu"}, {"query", "q"}, {"max", 1}}));
  EXPECT_TRUE(holds(node, 2, {{"name", "drift-2"}, {"query", "q"}, {"max", 1}}));
  EXPECT_FALSE(holds(node, 2, {{"name", "drift"}, {"query", "q"}, {"max", 1}}));
}

TEST(ApiserverCelSubsetTest, AndOrAbsorbErrorsLikeCel) {
  const json self = {{"a", 1}};
  EXPECT_FALSE(run("false && self.b == 1", self).boolean);
  EXPECT_FALSE(run("self.b == 1 && false", self).boolean);
  EXPECT_TRUE(run("self.b == 1 || true", self).boolean);
  EXPECT_EQ(errorOf("self.b == 1 && true", self), "no such key: b");
  EXPECT_EQ(errorOf("self.b == 1 || false", self), "no such key: b");
  EXPECT_FALSE(run("self.all(k, k == 'x' && self[k] > 0)", self).boolean);
  EXPECT_TRUE(run("[1, 2].exists(x, x == 2 || self.b)", self).boolean);
  EXPECT_EQ(errorOf("self.a > 0 ? self.c : true", self), "no such key: c");
}

TEST(ApiserverCelSubsetTest, NumbersStringsAndTypes) {
  EXPECT_TRUE(run("1 < 1.5 && 2u > 1 && 1 == 1.0 && -1 < 0u", json()).boolean);
  EXPECT_TRUE(run("size(self) == 5 && self.size() == 5", "h\xc3\xa9llo").boolean);
  EXPECT_TRUE(run("type(self) == string && type(1) == int && type(1.0) == double", "x").boolean);
  EXPECT_TRUE(run("self == 2.0 && type(self) == double", 2, {{"type", "number"}}).boolean);
  EXPECT_TRUE(
      run("7 / 2 == 3 && 7 % 2 == 1 && 'a' + 'b' == 'ab' && [1] + [2] == [1, 2]", {}).boolean);
  EXPECT_TRUE(run("int('42') == 42 && string(42) == '42' && double(1) == 1.0", {}).boolean);
  EXPECT_TRUE(run("{'a': 1}['a'] == 1 && 'a' in {'a': 1} && 2 in [1, 2]", {}).boolean);
  EXPECT_TRUE(
      run("'abc'.startsWith('ab') && 'abc'.endsWith('bc') && 'abc'.contains('b')", {}).boolean);
  EXPECT_TRUE(run("self.matches('^[a-z]+$') && !'A1'.matches('^[a-z]+$')", "abc").boolean);
  EXPECT_EQ(errorOf("self + 1 > 0", 9223372036854775807LL), "integer overflow");
  EXPECT_EQ(errorOf("1 / self == 0", 0), "division by zero");
  EXPECT_EQ(errorOf("self > 1", "x"), "no such overload");
  EXPECT_EQ(errorOf("self[3] == 1", json::array({1})), "index out of bounds: 3");
}

TEST(ApiserverCelSubsetTest, MacrosOverListsAndMaps) {
  const json list = {3, 1, 2};
  EXPECT_TRUE(run("self.map(x, x * 2) == [6, 2, 4]", list).boolean);
  EXPECT_TRUE(run("self.map(x, x > 1, x) == [3, 2]", list).boolean);
  EXPECT_TRUE(run("self.filter(x, x < 3) == [1, 2]", list).boolean);
  EXPECT_TRUE(run("self.exists_one(x, x == 1) && !self.exists_one(x, x > 1)", list).boolean);
  EXPECT_TRUE(
      run("!self.isSorted() && [1, 2, 2].isSorted() && ['a', 'b'].isSorted()", list).boolean);
  EXPECT_TRUE(
      run("self.all(k, self[k] > 0) && self.exists(k, k == 'b')", {{"a", 1}, {"b", 2}}).boolean);
}

TEST(ApiserverCelSubsetTest, IntOrStringAndSchemaTyping) {
  const json ios = {{"x-kubernetes-int-or-string", true}};
  EXPECT_TRUE(run("type(self) == int", 80, ios).boolean);
  EXPECT_TRUE(run("type(self) == string", "80", ios).boolean);
  const json obj = {
      {"type", "object"},
      {"properties",
       {{"a-b", {{"type", "integer"}}}, {"n", {{"type", "string"}, {"nullable", true}}}}}};
  EXPECT_TRUE(
      run("self.a__dash__b == 1 && !has(self.n)", {{"a-b", 1}, {"n", nullptr}}, obj).boolean);
}

TEST(ApiserverCelSubsetTest, OldSelfIsBoundWhenGiven) {
  const json old = 3;
  EXPECT_TRUE(run("self >= oldSelf", 4, json::object(), &old).boolean);
  EXPECT_FALSE(run("self >= oldSelf", 2, json::object(), &old).boolean);
  EXPECT_TRUE(compile("self == oldSelf").value()->usesOldSelf());
  EXPECT_FALSE(compile("self == oldSelf", false).isOk());
}

TEST(ApiserverCelSubsetTest, ConstructsOutsideTheSubsetFailToCompile) {
  for (const char* rule : {"self.?a == 1", "quantity(self).isLessThan(quantity('1'))", "other > 1",
                           "b'abc' == self", "self.a.lowerAscii() == 'a'",
                           "self ==", "'''x''' == self", "self.all(1, true)", "has(self)"}) {
    Result<ProgramPtr> p = compile(rule);
    EXPECT_FALSE(p.isOk()) << rule;
  }
  EXPECT_EQ(compile("quantity('1')").status().message(),
            "column 1: unsupported function 'quantity'");
  EXPECT_EQ(compile("self > other").status().message(),
            "column 8: undeclared reference to 'other'");
}

TEST(ApiserverCelSubsetTest, GoDurations) {
  int64_t n = 0;
  ASSERT_TRUE(parseGoDuration("1h30m", n));
  EXPECT_EQ(n, 5400LL * 1000000000);
  ASSERT_TRUE(parseGoDuration("1.5s", n));
  EXPECT_EQ(n, 1500000000);
  ASSERT_TRUE(parseGoDuration("-2ms", n));
  EXPECT_EQ(n, -2000000);
  ASSERT_TRUE(parseGoDuration("0", n));
  EXPECT_EQ(n, 0);
  for (const char* bad : {"", "1", "s", "1d", "1.s.", "99999999999h"})
    EXPECT_FALSE(parseGoDuration(bad, n)) << bad;
}

}  // namespace
}  // namespace mr::apiserver::cel
