// docs/api.md's default column against the two places a default is applied: the CRD (the API
// server defaults a field it stores) and the parser (the controller defaults a field the API
// server did not, e.g. an object written before a default existed). Each documented default
// is read from the doc's tables, so an edit of the doc, the CRD or the parser that makes them
// disagree fails here; a default added to the doc without a row here fails too.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>

#include "rollout/modelrollout_parse.h"
#include "tests/rollout/yaml_json.h"

namespace mr::rollout::testing {
namespace {

using nlohmann::json;
const std::string kSource = MR_SOURCE_DIR;

// field (as the doc's first column spells it, without backticks) -> default column, for the
// tables of "## spec" and "### spec.analysis".
std::map<std::string, std::string> documentedDefaults() {
  std::ifstream in(kSource + "/docs/api.md");
  std::map<std::string, std::string> out;
  std::string line;
  std::string table;  // "spec" or "analysis" while inside one of the two tables
  static const std::regex row(R"(^\| `([^`]+)` \|(.*)$)");
  while (std::getline(in, line)) {
    if (line.rfind("## spec", 0) == 0) table = "spec";
    if (line.rfind("### spec.analysis", 0) == 0) table = "analysis";
    if (line.rfind("### What the CRD", 0) == 0) table.clear();
    std::smatch m;
    if (table.empty() || !std::regex_match(line, m, row)) continue;
    std::vector<std::string> cells;
    std::stringstream rest(m[2].str());
    std::string cell;
    while (std::getline(rest, cell, '|')) {
      const auto b = cell.find_first_not_of(' ');
      const auto e = cell.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
    }
    // spec: | field | type | default | ...; analysis: | field | default | ...
    const size_t col = table == "spec" ? 1 : 0;
    if (cells.size() > col) out[(table == "spec" ? "" : "analysis.") + m[1].str()] = cells[col];
  }
  return out;
}

json crdSpecSchema() {
  auto docs = loadYamlFile(kSource + "/crds/modelrollout.io_modelrollouts.yaml");
  return docs.at(0)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
}

const json kTemplate = json::parse(R"({"spec": {"containers": [{"name": "s", "image": "m:1"}]}})");

// Every block present but empty, so the API server defaults each field inside.
json emptyBlocks() {
  return {{"template", kTemplate},
          {"service", json::object()},
          {"analysis",
           {{"prometheus", json::object()},
            {"metrics",
             {{"errorRate", json::object()},
              {"latencyP99", json::object()},
              {"drift", json::object()},
              {"maeDegradation", json::object()}}}}}};
}

std::string ms(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + "ms";
}

struct Documented {
  std::string doc_default;  // the doc's default column, verbatim
  // The CRD's default at this JSON pointer of emptyBlocks() once defaulted; null: the CRD
  // has no default there (the parser's default is the documented one).
  std::string crd_pointer;
  json crd_value;
  // The parser's value, from the defaulted and from the bare object, as a comparable string.
  std::function<std::string(const ModelRolloutSpec&)> parsed;
  std::string parsed_value;
};

std::string thresholdOf(const analysis::ThresholdMetric& t) {
  return (t.enabled ? std::string("true, ") : std::string("false, ")) + json(t.max).dump();
}

const std::map<std::string, Documented>& rows() {
  using S = const ModelRolloutSpec&;
  static const std::map<std::string, Documented> r = {
      {"replicas", {"1", "/replicas", 1, [](S s) { return std::to_string(s.replicas); }, "1"}},
      {"service.port",
       {"80", "/service/port", 80, [](S s) { return std::to_string(s.service.port); }, "80"}},
      {"service.targetPort",
       {"8080 if port is 80, else port", "", nullptr,
        [](S s) { return std::to_string(s.service.target_port); }, "8080"}},
      {"trafficRouting.istio.routes[]",
       {"all", "", nullptr, [](S s) { return std::to_string(s.traffic_routing.routes.size()); },
        "0"}},
      {"steps[]",
       {"1%/24h, 10%/48h, 50%/72h, 100%", "/steps",
        json::parse(R"([{"weight":1,"hold":"24h"},{"weight":10,"hold":"48h"},
                        {"weight":50,"hold":"72h"},{"weight":100}])"),
        [](S s) {
          std::string out;
          for (const auto& st : s.steps)
            out += std::to_string(st.weight) + "/" + ms(st.hold) + " ";
          return out;
        },
        "1/86400000ms 10/172800000ms 50/259200000ms 100/0ms "}},
      {"steps[].weight", {"required", "", nullptr, nullptr, ""}},
      {"steps[].hold", {"0", "", nullptr, [](S s) { return ms(s.steps.back().hold); }, "0ms"}},
      {"template", {"required", "", nullptr, nullptr, ""}},
      {"analysis", {"omitted = time-based canary", "", nullptr, nullptr, ""}},
      {"paused", {"false", "/paused", false, [](S s) { return json(s.paused).dump(); }, "false"}},
      {"progressDeadlineSeconds",
       {"600", "/progressDeadlineSeconds", 600,
        [](S s) { return std::to_string(s.progress_deadline.count()); }, "600"}},
      {"progressDeadlineAbort",
       {"true", "/progressDeadlineAbort", true,
        [](S s) { return json(s.progress_deadline_abort).dump(); }, "true"}},
      {"analysis.prometheus.address",
       {"`http://prometheus.monitoring:9090`", "/analysis/prometheus/address",
        "http://prometheus.monitoring:9090", [](S s) { return s.analysis->prometheus.address; },
        "http://prometheus.monitoring:9090"}},
      {"analysis.prometheus.timeout",
       {"`10s`", "/analysis/prometheus/timeout", "10s",
        [](S s) { return ms(s.analysis->prometheus.timeout); }, "10000ms"}},
      {"analysis.prometheus.insecureSkipTLSVerify",
       {"false", "/analysis/prometheus/insecureSkipTLSVerify", false,
        [](S s) { return json(s.analysis->prometheus.insecure_skip_tls_verify).dump(); }, "false"}},
      {"analysis.interval",
       {"`1m`", "/analysis/interval", "1m", [](S s) { return ms(s.analysis->interval); },
        "60000ms"}},
      {"analysis.window",
       {"`5m`", "/analysis/window", "5m", [](S s) { return ms(s.analysis->window); }, "300000ms"}},
      {"analysis.confidence",
       {"0.99", "/analysis/confidence", 0.99,
        [](S s) { return json(s.analysis->confidence).dump(); }, "0.99"}},
      {"analysis.failureLimit",
       {"1", "/analysis/failureLimit", 1,
        [](S s) { return std::to_string(s.analysis->failure_limit); }, "1"}},
      {"analysis.minSampleSize",
       {"500", "/analysis/minSampleSize", 500,
        [](S s) { return std::to_string(s.analysis->min_sample_size); }, "500"}},
      {"analysis.onNoData",
       {"`Inconclusive`", "/analysis/onNoData", "Inconclusive",
        [](S s) {
          return s.analysis->on_no_data == analysis::NoDataPolicy::kFail ? "Fail" : "Inconclusive";
        },
        "Inconclusive"}},
      {"analysis.inconclusiveTimeout",
       {"`24h`", "/analysis/inconclusiveTimeout", "24h",
        [](S s) { return ms(s.analysis->inconclusive_timeout); }, "86400000ms"}},
      {"analysis.onInconclusiveLimit",
       {"`Pause`", "/analysis/onInconclusiveLimit", "Pause",
        [](S s) {
          return s.analysis->on_inconclusive_limit == analysis::InconclusiveLimitPolicy::kPause
                     ? "Pause"
                     : "Rollback";
        },
        "Pause"}},
      {"analysis.metrics", {"all four built-ins", "", nullptr, nullptr, ""}},
      {"analysis.metrics.errorRate{enabled,max,query,relativeTo,maxRatio}",
       {"true, 0.001", "/analysis/metrics/errorRate", json({{"enabled", true}, {"max", 0.001}}),
        [](S s) { return thresholdOf(s.analysis->error_rate); }, "true, 0.001"}},
      {"analysis.metrics.latencyP99{enabled,maxMs,query,relativeTo,maxRatio}",
       {"true, 100", "/analysis/metrics/latencyP99", json({{"enabled", true}, {"maxMs", 100}}),
        [](S s) { return thresholdOf(s.analysis->latency_p99_ms); }, "true, 100.0"}},
      {"analysis.metrics.drift{enabled,max,query}",
       {"true, 0.2", "/analysis/metrics/drift", json({{"enabled", true}, {"max", 0.2}}),
        [](S s) { return thresholdOf(s.analysis->drift); }, "true, 0.2"}},
      {"analysis.metrics.maeDegradation{enabled,max,query}",
       {"true, 0.1", "/analysis/metrics/maeDegradation", json({{"enabled", true}, {"max", 0.1}}),
        [](S s) { return thresholdOf(s.analysis->mae_degradation); }, "true, 0.1"}},
  };
  return r;
}

bool noDefault(const std::string& text) {
  return text.empty() || text == "–" || text == "-";
}

TEST(DocumentedDefaults, EveryDocumentedDefaultHasARowHere) {
  const auto doc = documentedDefaults();
  ASSERT_GE(doc.size(), 30u) << "docs/api.md's tables were not found";
  for (const auto& [field, text] : doc) {
    if (noDefault(text)) continue;
    EXPECT_TRUE(rows().count(field)) << "docs/api.md documents a default for `" << field << "` ("
                                     << text << ") that no row here checks";
  }
}

TEST(DocumentedDefaults, DocCrdAndParserAgree) {
  const auto doc = documentedDefaults();
  json defaulted = emptyBlocks();
  applyDefaults(crdSpecSchema(), defaulted);
  auto from_server = parseSpec(defaulted);
  ASSERT_TRUE(from_server.ok()) << from_server.summary();
  // The parser alone: every block present but empty, and the analysis metrics omitted (the
  // four built-ins with their defaults).
  json bare = emptyBlocks();
  bare["analysis"].erase("metrics");
  auto from_parser = parseSpec(bare);
  ASSERT_TRUE(from_parser.ok()) << from_parser.summary();
  for (const auto& [field, want] : rows()) {
    SCOPED_TRACE(field);
    ASSERT_TRUE(doc.count(field)) << "docs/api.md has no row for it";
    EXPECT_EQ(doc.at(field), want.doc_default) << "docs/api.md's default";
    if (!want.crd_pointer.empty()) {
      const json::json_pointer p(want.crd_pointer);
      ASSERT_TRUE(defaulted.contains(p)) << "the CRD has no default: " << defaulted.dump();
      json got = defaulted.at(p);
      if (want.crd_value.is_object()) {
        for (auto& [k, v] : want.crd_value.items())
          EXPECT_EQ(got.value(k, json()), v) << "the CRD's default of " << k;
      } else {
        EXPECT_EQ(got, want.crd_value) << "the CRD's default";
      }
    }
    if (want.parsed) {
      EXPECT_EQ(want.parsed(*from_server.spec), want.parsed_value) << "parsed, CRD-defaulted";
      EXPECT_EQ(want.parsed(*from_parser.spec), want.parsed_value) << "parsed, bare";
    }
  }
}

// service.targetPort: "8080 if port is 80, else port"; a name is kept as the name.
TEST(DocumentedDefaults, TargetPortFollowsPort) {
  for (const auto& [service, port, name] : std::vector<std::tuple<json, int, std::string>>{
           {json::object(), 8080, ""},
           {{{"port", 80}}, 8080, ""},
           {{{"port", 9000}}, 9000, ""},
           {{{"port", 9000}, {"targetPort", 80}}, 80, ""},
           {{{"targetPort", "http"}}, 8080, "http"}}) {
    json spec = {{"template", kTemplate}, {"service", service}};
    auto parsed = parseSpec(spec);
    ASSERT_TRUE(parsed.ok()) << parsed.summary();
    EXPECT_EQ(parsed.spec->service.target_port_name, name) << service.dump();
    if (name.empty()) EXPECT_EQ(parsed.spec->service.target_port, port) << service.dump();
  }
  auto omitted = parseSpec(json{{"template", kTemplate}});
  ASSERT_TRUE(omitted.ok());
  EXPECT_EQ(omitted.spec->service.port, 80);
  EXPECT_EQ(omitted.spec->service.target_port, 8080);
}

// analysis.metrics: listing any metric judges only the listed ones; `{}` is all four.
TEST(DocumentedDefaults, ListingAMetricJudgesOnlyTheListedOnes) {
  auto enabled = [](const json& metrics) {
    json spec = {{"template", kTemplate}, {"analysis", {{"metrics", metrics}}}};
    auto parsed = parseSpec(spec);
    EXPECT_TRUE(parsed.ok()) << parsed.summary();
    const auto& a = *parsed.spec->analysis;
    std::string out;
    for (const auto& [name, t] :
         std::vector<std::pair<std::string, const analysis::ThresholdMetric*>>{
             {"errorRate", &a.error_rate},
             {"latencyP99", &a.latency_p99_ms},
             {"drift", &a.drift},
             {"maeDegradation", &a.mae_degradation}}) {
      if (t->enabled) out += name + " ";
    }
    return out + std::to_string(a.custom.size());
  };
  EXPECT_EQ(enabled(json::object()), "errorRate latencyP99 drift maeDegradation 0");
  EXPECT_EQ(enabled({{"drift", json::object()}}), "drift 0");
  EXPECT_EQ(enabled({{"errorRate", {{"enabled", false}}}, {"latencyP99", json::object()}}),
            "latencyP99 0");
  EXPECT_EQ(enabled({{"custom", {{{"name", "gpu"}, {"query", "q"}, {"max", 1}}}}}), "1");
}

}  // namespace
}  // namespace mr::rollout::testing
