#include "e2e/simulator/behavior.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mr::sim {
namespace {

nlohmann::json templateWithEnv(const nlohmann::json& env) {
  return {{"metadata", {{"labels", {{"app", "m"}}}}},
          {"spec", {{"containers", {{{"name", "server"}, {"image", "m:1"}, {"env", env}}}}}}};
}

TEST(BehaviorTest, DefaultsWhenNoEnv) {
  auto b = parseBehavior(templateWithEnv(nlohmann::json::array()));
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(*b, ModelBehavior{});
  EXPECT_DOUBLE_EQ(b->error_rate, 0.0);
  EXPECT_DOUBLE_EQ(b->latency_p50_ms, 20.0);
  EXPECT_DOUBLE_EQ(b->latency_p99_ms, 50.0);
  EXPECT_DOUBLE_EQ(b->abs_error, 0.1);
  EXPECT_DOUBLE_EQ(b->label_rate, 1.0);
  EXPECT_TRUE(parseBehavior(nlohmann::json::object()).isOk());
}

TEST(BehaviorTest, ReadsAllVariables) {
  auto b = parseBehavior(templateWithEnv({{{"name", "SIM_ERROR_RATE"}, {"value", "0.05"}},
                                          {{"name", "SIM_LATENCY_MS_P50"}, {"value", "40"}},
                                          {{"name", "SIM_LATENCY_MS_P99"}, {"value", "300"}},
                                          {{"name", "SIM_PREDICTION_SHIFT"}, {"value", "-0.2"}},
                                          {{"name", "SIM_ABS_ERROR"}, {"value", "0.25"}},
                                          {{"name", "SIM_LABEL_RATE"}, {"value", "0.5"}},
                                          {{"name", "OTHER"}, {"value", "x"}}}));
  ASSERT_TRUE(b.isOk()) << b.status().toString();
  EXPECT_DOUBLE_EQ(b->error_rate, 0.05);
  EXPECT_DOUBLE_EQ(b->latency_p50_ms, 40);
  EXPECT_DOUBLE_EQ(b->latency_p99_ms, 300);
  EXPECT_DOUBLE_EQ(b->prediction_shift, -0.2);
  EXPECT_DOUBLE_EQ(b->abs_error, 0.25);
  EXPECT_DOUBLE_EQ(b->label_rate, 0.5);
  // Lognormal fit: median exp(mu), 99th percentile exp(mu + 2.326 sigma).
  EXPECT_NEAR(std::exp(b->latencyMu()), 0.040, 1e-12);
  EXPECT_NEAR(std::exp(b->latencyMu() + 2.3263478740408408 * b->latencySigma()), 0.300, 1e-9);
}

TEST(BehaviorTest, SearchesAllContainers) {
  nlohmann::json t = templateWithEnv(nlohmann::json::array());
  t["spec"]["containers"].push_back(
      {{"name", "sidecar"}, {"env", {{{"name", "SIM_ERROR_RATE"}, {"value", "0.5"}}}}});
  auto b = parseBehavior(t);
  ASSERT_TRUE(b.isOk());
  EXPECT_DOUBLE_EQ(b->error_rate, 0.5);
}

TEST(BehaviorTest, RejectsMalformedAndOutOfRange) {
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"SIM_ERROR_RATE", "abc"},
                                                        {"SIM_ERROR_RATE", "1.5"},
                                                        {"SIM_ERROR_RATE", ""},
                                                        {"SIM_LATENCY_MS_P50", "0"},
                                                        {"SIM_LABEL_RATE", "-0.1"},
                                                        {"SIM_ABS_ERROR", "-1"},
                                                        {"SIM_ERROR_RATE", "0.1x"},
                                                        {"SIM_LATENCY_MS_P99", "nan"}}) {
    auto b = parseBehavior(templateWithEnv({{{"name", name}, {"value", value}}}));
    ASSERT_FALSE(b.isOk()) << name << "=" << value;
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(b.status().message().find(name), std::string::npos) << b.status().message();
  }
  auto inverted =
      parseBehavior(templateWithEnv({{{"name", "SIM_LATENCY_MS_P50"}, {"value", "80"}},
                                     {{"name", "SIM_LATENCY_MS_P99"}, {"value", "60"}}}));
  EXPECT_FALSE(inverted.isOk());
  auto value_from = parseBehavior(templateWithEnv(
      {{{"name", "SIM_ERROR_RATE"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "x"}}}}}}}));
  EXPECT_FALSE(value_from.isOk());
}

TEST(BehaviorTest, OnlyP50AboveDefaultP99KeepsASpread) {
  auto b = parseBehavior(templateWithEnv({{{"name", "SIM_LATENCY_MS_P50"}, {"value", "200"}}}));
  ASSERT_TRUE(b.isOk());
  EXPECT_DOUBLE_EQ(b->latency_p99_ms, 500);
}

}  // namespace
}  // namespace mr::sim
