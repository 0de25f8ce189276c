// The chart's Grafana dashboard and PrometheusRule may only use metrics the controller exports.
// The scrape is built from the same pieces the controller wires together (ControllerMetrics,
// the reconciler's RolloutMetrics as a text source, the analyzer's AnalysisMetrics on the same
// registry), with one rollout mid-canary and one analysis check, so every family has series.
// Run from the source tree (ctest's working directory).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "analysis/analysis_metrics.h"
#include "controller/controller_metrics.h"
#include "reconcile/rollout_metrics.h"
#include "scrape_names.h"

namespace mr::controller {
namespace {

using testing::declaredNames;
using testing::metricTokens;
using testing::readFile;
using testing::sampleNames;

const char* kDashboard = "charts/modelrollout/dashboards/modelrollout.json";
const char* kRules = "charts/modelrollout/templates/prometheusrule.yaml";

rollout::MetricStatus metricStatus(const std::string& name, std::optional<double> value,
                                   const std::string& verdict) {
  rollout::MetricStatus m;
  m.name = name;
  m.value = value;
  m.verdict = verdict;
  return m;
}

// A scrape of a controller that has reconciled one rollout mid-canary and judged it once.
std::string busyControllerScrape() {
  ControllerMetrics metrics;
  reconcile::RolloutMetrics rollouts(*metrics.registry());
  analysis::AnalysisMetrics analysis(*metrics.registry());
  metrics.addTextSource(&rollouts);
  metrics.observeReconcile("success", 0.01);
  metrics.observeApiRequest("get", 200);
  metrics.setQueueDepth(1);
  rollouts.write("status");
  rollouts.transition("Progressing");
  rollouts.rollback("AnalysisFailed");
  rollout::RolloutStatus s;
  s.phase = rollout::Phase::kProgressing;
  s.canary_weight = 10;
  s.canary_revision = "bbbbbbbbbb";
  s.consecutive_errors = 1;
  s.last_analysis = rollout::LastAnalysis{};
  s.last_analysis->revision = "bbbbbbbbbb";
  s.last_analysis->metrics.push_back(metricStatus("errorRate", 0.001, "Pass"));
  rollouts.observe("ml", "fraud", s);
  analysis.countCheck(analysis::Verdict::kPass);
  analysis.countMetric("errorRate", analysis::Verdict::kPass);
  analysis.observeQuery(0.05, Status::ok());
  analysis.observeQuery(0.05, unavailable("connection refused"));
  analysis.pending().Set(0);
  std::string scrape = metrics.render();
  metrics.removeTextSource(&rollouts);
  return scrape;
}

// Every string value in a JSON document (exprs, legends, template queries, titles).
void collectStrings(const nlohmann::json& j, std::string& out) {
  if (j.is_string()) {
    out += j.get<std::string>();
    out += '\n';
  } else if (j.is_structured()) {
    for (const auto& child : j)
      collectStrings(child, out);
  }
}

TEST(MonitoringCatalogTest, DashboardUsesOnlyExportedMetrics) {
  const std::string text = readFile(kDashboard);
  ASSERT_FALSE(text.empty()) << "run from the source tree: " << kDashboard;
  const auto dashboard = nlohmann::json::parse(text);
  std::string strings;
  collectStrings(dashboard, strings);
  const auto used = metricTokens(strings);
  const auto exported = sampleNames(busyControllerScrape());
  ASSERT_GE(used.size(), 10u) << "the dashboard should chart the controller's metrics";
  for (const auto& name : used) {
    EXPECT_TRUE(exported.count(name))
        << kDashboard << " uses " << name << ", which the controller does not export";
  }
  // The per-rollout series are what the dashboard exists for.
  for (const char* name :
       {"modelrollout_rollout_info", "modelrollout_rollout_canary_weight",
        "modelrollout_analysis_metric_value", "modelrollout_analysis_metric_verdict",
        "modelrollout_build_info", "process_resident_memory_bytes"}) {
    EXPECT_TRUE(used.count(name)) << kDashboard << " does not chart " << name;
  }
}

TEST(MonitoringCatalogTest, AlertRulesUseOnlyExportedMetrics) {
  const std::string rules = readFile(kRules);
  ASSERT_FALSE(rules.empty()) << "run from the source tree: " << kRules;
  const auto used = metricTokens(rules);
  const auto exported = sampleNames(busyControllerScrape());
  ASSERT_GE(used.size(), 4u);
  for (const auto& name : used) {
    EXPECT_TRUE(exported.count(name))
        << kRules << " uses " << name << ", which the controller does not export";
  }
  EXPECT_TRUE(used.count("modelrollout_rollout_info")) << "alerts must be able to name the rollout";
  EXPECT_TRUE(used.count("modelrollout_build_info")) << "no controller-down alert";
}

// An idle controller (no rollouts yet) already declares the per-rollout, build and process
// families in its scrape (# TYPE lines), so a dashboard built against it finds every name.
TEST(MonitoringCatalogTest, TextFamiliesAreDeclaredBeforeTheyHaveSeries) {
  ControllerMetrics idle;
  reconcile::RolloutMetrics rollouts(*idle.registry());
  idle.addTextSource(&rollouts);
  const auto declared = declaredNames(idle.render());
  idle.removeTextSource(&rollouts);
  for (const char* name :
       {"modelrollout_rollout_info", "modelrollout_rollout_canary_weight",
        "modelrollout_rollout_analysis_consecutive_errors", "modelrollout_analysis_metric_value",
        "modelrollout_analysis_metric_verdict", "modelrollout_build_info",
        "process_cpu_seconds_total", "process_start_time_seconds"}) {
    EXPECT_TRUE(declared.count(name)) << name;
  }
}

}  // namespace
}  // namespace mr::controller
