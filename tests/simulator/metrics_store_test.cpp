#include "e2e/simulator/metrics_store.h"

#include <gtest/gtest.h>

namespace mr::sim {
namespace {

bool contains(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

RoleTick sampleTick() {
  RoleTick t;
  t.ok = 8;
  t.errors = 2;
  t.duration_counts.assign(14, 0);
  t.duration_counts[2] = 6;   // le 0.02
  t.duration_counts[13] = 4;  // +Inf
  t.duration_sum = 12.5;
  t.prediction_counts.assign(11, 0);
  t.prediction_counts[0] = 3;
  t.prediction_counts[9] = 5;
  t.prediction_sum = 4.75;
  t.labelled = 4;
  t.abs_error_sum = 0.5;
  t.abs_error_squared_sum = 0.125;
  return t;
}

TEST(MetricsStoreTest, ExpositionFollowsTheContract) {
  MetricsStore store;
  const SeriesKey key{"ml", "fraud", "canary", "abc123"};
  store.add(key, sampleTick());
  store.add(key, sampleTick());
  const std::string text = renderText(store);
  const std::string labels = R"(namespace="ml",rollout="fraud",role="canary",revision="abc123")";
  EXPECT_TRUE(contains(text, "# TYPE model_requests_total counter")) << text;
  EXPECT_TRUE(contains(text, "model_requests_total{" + labels + ",code=\"200\"} 16")) << text;
  EXPECT_TRUE(contains(text, "model_requests_total{" + labels + ",code=\"500\"} 4")) << text;
  EXPECT_FALSE(contains(text, "code=\"503\""));
  EXPECT_TRUE(contains(text, "# TYPE model_request_duration_seconds histogram"));
  EXPECT_TRUE(
      contains(text, "model_request_duration_seconds_bucket{" + labels + ",le=\"0.01\"} 0"));
  EXPECT_TRUE(
      contains(text, "model_request_duration_seconds_bucket{" + labels + ",le=\"0.02\"} 12"));
  EXPECT_TRUE(
      contains(text, "model_request_duration_seconds_bucket{" + labels + ",le=\"2.5\"} 12"));
  EXPECT_TRUE(
      contains(text, "model_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 20"));
  EXPECT_TRUE(contains(text, "model_request_duration_seconds_sum{" + labels + "} 25"));
  EXPECT_TRUE(contains(text, "model_request_duration_seconds_count{" + labels + "} 20"));
  EXPECT_TRUE(contains(text, "model_prediction_bucket{" + labels + ",le=\"0.1\"} 6"));
  EXPECT_TRUE(contains(text, "model_prediction_bucket{" + labels + ",le=\"0.9\"} 6"));
  EXPECT_TRUE(contains(text, "model_prediction_bucket{" + labels + ",le=\"1\"} 16"));
  EXPECT_TRUE(contains(text, "model_prediction_bucket{" + labels + ",le=\"+Inf\"} 16"));
  EXPECT_TRUE(contains(text, "model_prediction_sum{" + labels + "} 9.5"));
  EXPECT_TRUE(contains(text, "model_absolute_error_sum{" + labels + "} 1"));
  EXPECT_TRUE(contains(text, "model_absolute_error_count{" + labels + "} 8"));
  EXPECT_TRUE(contains(text, "# TYPE model_absolute_error_squared_sum counter")) << text;
  EXPECT_TRUE(contains(text, "model_absolute_error_squared_sum{" + labels + "} 0.25")) << text;
  EXPECT_EQ(store.requests(key, "200"), 16u);
}

TEST(MetricsStoreTest, UnavailableCodeAndRemoval) {
  MetricsStore store;
  RoleTick down;
  down.unavailable = 7;
  store.add({"ml", "a", "canary", "r1"}, down);
  store.add({"ml", "b", "stable", "r1"}, sampleTick());
  EXPECT_EQ(store.requests({"ml", "a", "canary", "r1"}, "503"), 7u);
  EXPECT_TRUE(contains(renderText(store), "code=\"503\"} 7"));
  store.removeRollout("ml", "a");
  EXPECT_EQ(store.seriesCount(), 1u);
  EXPECT_FALSE(contains(renderText(store), "rollout=\"a\""));
}

}  // namespace
}  // namespace mr::sim
