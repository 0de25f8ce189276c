// The controller's /metrics body: build info, and the per-rollout series (reconcile/
// rollout_metrics.h) appearing, changing and disappearing with the rollouts, scraped through
// ControllerMetrics::render() as the /metrics handler serves it.
#include "controller/controller_metrics.h"

#include <gtest/gtest.h>

#include <regex>

#include "controller/build_info.h"
#include "reconcile/rollout_metrics.h"
#include "scrape_names.h"

namespace mr::controller {
namespace {

using rollout::Phase;
using rollout::RolloutStatus;

bool has(const std::string& scrape, const std::string& line) {
  return scrape.find(line + "\n") != std::string::npos;
}

size_t count(const std::string& scrape, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = scrape.find(needle); pos != std::string::npos;
       pos = scrape.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

rollout::MetricStatus metricStatus(const std::string& name, std::optional<double> value,
                                   const std::string& verdict) {
  rollout::MetricStatus m;
  m.name = name;
  m.value = value;
  m.verdict = verdict;
  return m;
}

RolloutStatus canaryAtTenPercent() {
  RolloutStatus s;
  s.phase = Phase::kProgressing;
  s.canary_weight = 10;
  s.stable_revision = "aaaaaaaaaa";
  s.canary_revision = "bbbbbbbbbb";
  s.consecutive_errors = 2;
  rollout::LastAnalysis a;
  a.revision = "bbbbbbbbbb";
  a.verdict = "Inconclusive";
  a.metrics.push_back(metricStatus("errorRate", 0.0025, "Pass"));
  a.metrics.push_back(metricStatus("drift", std::nullopt, "Inconclusive"));
  a.metrics.push_back(metricStatus("gpu-mem", 0.5, "Fail"));
  s.last_analysis = a;
  return s;
}

class RolloutSeriesTest : public ::testing::Test {
 protected:
  RolloutSeriesTest() : rollouts_(*metrics_.registry()) { metrics_.addTextSource(&rollouts_); }
  ~RolloutSeriesTest() override { metrics_.removeTextSource(&rollouts_); }
  ControllerMetrics metrics_;
  reconcile::RolloutMetrics rollouts_;
};

TEST_F(RolloutSeriesTest, ProgressingCanarySeriesAppearInTheScrape) {
  rollouts_.observe("ml", "fraud", canaryAtTenPercent());
  const std::string scrape = metrics_.render();
  EXPECT_TRUE(has(
      scrape, R"(modelrollout_rollout_info{namespace="ml",name="fraud",phase="Progressing"} 1)"))
      << scrape;
  EXPECT_TRUE(has(scrape, R"(modelrollout_rollout_canary_weight{namespace="ml",name="fraud"} 10)"));
  EXPECT_TRUE(
      has(scrape,
          R"(modelrollout_rollout_analysis_consecutive_errors{namespace="ml",name="fraud"} 2)"));
  EXPECT_TRUE(has(
      scrape,
      R"(modelrollout_analysis_metric_value{namespace="ml",name="fraud",metric="errorRate"} 0.0025)"));
  EXPECT_TRUE(has(
      scrape,
      R"(modelrollout_analysis_metric_value{namespace="ml",name="fraud",metric="gpu-mem"} 0.5)"));
  EXPECT_EQ(
      count(scrape,
            R"(modelrollout_analysis_metric_value{namespace="ml",name="fraud",metric="drift"})"),
      0u)
      << "a metric without a value must have no value series";
  EXPECT_TRUE(has(
      scrape,
      R"(modelrollout_analysis_metric_verdict{namespace="ml",name="fraud",metric="errorRate",verdict="Pass"} 1)"));
  EXPECT_TRUE(has(
      scrape,
      R"(modelrollout_analysis_metric_verdict{namespace="ml",name="fraud",metric="drift",verdict="Inconclusive"} 1)"));
  EXPECT_TRUE(has(
      scrape,
      R"(modelrollout_analysis_metric_verdict{namespace="ml",name="fraud",metric="gpu-mem",verdict="Fail"} 1)"));
  EXPECT_TRUE(has(scrape, R"(modelrollout_rollouts{phase="Progressing"} 1)"));
}

TEST_F(RolloutSeriesTest, PhaseChangeReplacesTheInfoSeriesAndEndsAnalysisSeries) {
  rollouts_.observe("ml", "fraud", canaryAtTenPercent());
  RolloutStatus rolled_back;
  rolled_back.phase = Phase::kRolledBack;
  rolled_back.stable_revision = "aaaaaaaaaa";
  rolled_back.rolled_back_revision = "bbbbbbbbbb";
  rolled_back.last_analysis = canaryAtTenPercent().last_analysis;  // kept in status
  rollouts_.observe("ml", "fraud", rolled_back);
  const std::string scrape = metrics_.render();
  EXPECT_EQ(count(scrape, R"(modelrollout_rollout_info{namespace="ml",name="fraud",)"), 1u)
      << scrape;
  EXPECT_TRUE(has(
      scrape, R"(modelrollout_rollout_info{namespace="ml",name="fraud",phase="RolledBack"} 1)"));
  EXPECT_TRUE(has(scrape, R"(modelrollout_rollout_canary_weight{namespace="ml",name="fraud"} 0)"));
  EXPECT_EQ(count(scrape, R"(name="fraud",metric=)"), 0u) << "no canary runs: no analysis series";
  EXPECT_EQ(count(scrape, "modelrollout_rollout_analysis_consecutive_errors{"), 0u);
  EXPECT_TRUE(has(scrape, R"(modelrollout_rollouts{phase="Progressing"} 0)"));
  EXPECT_TRUE(has(scrape, R"(modelrollout_rollouts{phase="RolledBack"} 1)"));
}

TEST_F(RolloutSeriesTest, DeletedRolloutSeriesDisappearAndOthersStay) {
  rollouts_.observe("ml", "fraud", canaryAtTenPercent());
  RolloutStatus healthy;
  healthy.phase = Phase::kHealthy;
  rollouts_.observe("ml-staging", "ranker", healthy);
  rollouts_.forget("ml", "fraud");
  const std::string scrape = metrics_.render();
  EXPECT_EQ(count(scrape, R"(name="fraud")"), 0u) << scrape;
  EXPECT_TRUE(
      has(scrape,
          R"(modelrollout_rollout_info{namespace="ml-staging",name="ranker",phase="Healthy"} 1)"));
  EXPECT_TRUE(has(scrape, R"(modelrollout_rollouts{phase="Progressing"} 0)"));
  EXPECT_TRUE(has(scrape, R"(modelrollout_rollouts{phase="Healthy"} 1)"));
  EXPECT_EQ(rollouts_.rolloutsTracked(), 1u);
  rollouts_.forget("ml", "fraud");  // twice: no negative counts
  EXPECT_TRUE(has(metrics_.render(), R"(modelrollout_rollouts{phase="Progressing"} 0)"));
}

TEST_F(RolloutSeriesTest, StatusWithoutPhaseYetPublishesNothing) {
  rollouts_.observe("ml", "new", RolloutStatus{});
  const std::string scrape = metrics_.render();
  EXPECT_EQ(count(scrape, R"(name="new")"), 0u);
  EXPECT_EQ(rollouts_.rolloutsTracked(), 0u);
  // The families are declared even with no series, so any scrape shows what can be exported.
  EXPECT_NE(scrape.find("# TYPE modelrollout_rollout_info gauge"), std::string::npos);
  EXPECT_NE(scrape.find("# TYPE modelrollout_analysis_metric_verdict gauge"), std::string::npos);
}

TEST_F(RolloutSeriesTest, AnalysisOfAnOlderRevisionIsNotPublished) {
  RolloutStatus s = canaryAtTenPercent();
  s.canary_revision = "cccccccccc";  // a newer template restarted the canary
  rollouts_.observe("ml", "fraud", s);
  const std::string scrape = metrics_.render();
  EXPECT_EQ(count(scrape, R"(name="fraud",metric=)"), 0u) << scrape;
  EXPECT_TRUE(
      has(scrape,
          R"(modelrollout_rollout_analysis_consecutive_errors{namespace="ml",name="fraud"} 2)"));
}

TEST_F(RolloutSeriesTest, RemovedSourceIsNoLongerRendered) {
  rollouts_.observe("ml", "fraud", canaryAtTenPercent());
  metrics_.removeTextSource(&rollouts_);
  EXPECT_EQ(metrics_.render().find("modelrollout_rollout_info"), std::string::npos);
  metrics_.addTextSource(&rollouts_);
}

TEST(ControllerMetricsTest, BuildInfoIsOneWithVersionRevisionAndCompiler) {
  ControllerMetrics metrics;
  const std::string scrape = metrics.render();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      scrape, m,
      std::regex(
          R"re(modelrollout_build_info\{compiler="([^"]+)",revision="([^"]+)",version="([^"]+)"\} 1\n)re")))
      << scrape;
  EXPECT_EQ(m[1], std::string(buildInfo().compiler));
  EXPECT_EQ(m[2], std::string(buildInfo().revision));
  EXPECT_EQ(m[3], std::string(buildInfo().version));
  EXPECT_TRUE(std::regex_match(m[3].str(), std::regex(R"(\d+\.\d+\.\d+)"))) << m[3];
  EXPECT_TRUE(std::regex_match(m[2].str(), std::regex(R"([0-9a-f]{7,40}|unknown)"))) << m[2];
}

TEST(ControllerMetricsTest, ProcessMetricsOfThisProcessAreInTheScrape) {
  ControllerMetrics metrics;
  const std::string scrape = metrics.render();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds"}) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(scrape, m, std::regex(std::string("\n") + name + " (\\S+)\n")))
        << name << "\n"
        << scrape;
    EXPECT_GE(std::stod(m[1]), 0) << name;
  }
  const auto names = testing::sampleNames(scrape);
  EXPECT_TRUE(names.count("modelrollout_reconcile_total"));
}

}  // namespace
}  // namespace mr::controller
