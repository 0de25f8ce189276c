#include "e2e/simulator/behavior.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace mr::sim {
namespace {

// Standard normal quantile at 0.99.
constexpr double kZ99 = 2.3263478740408408;

// Finds the first value of env var `name` across all containers; nullptr if unset.
const nlohmann::json* findEnv(const nlohmann::json& pod_template, const std::string& name) {
  const auto spec = pod_template.find("spec");
  if (spec == pod_template.end() || !spec->is_object()) return nullptr;
  const auto containers = spec->find("containers");
  if (containers == spec->end() || !containers->is_array()) return nullptr;
  for (const auto& container : *containers) {
    const auto env = container.find("env");
    if (env == container.end() || !env->is_array()) continue;
    for (const auto& var : *env) {
      if (var.value("name", "") == name) return &var;
    }
  }
  return nullptr;
}

Status readNumber(const nlohmann::json& pod_template, const std::string& name, double min,
                  double max, double& out) {
  const nlohmann::json* var = findEnv(pod_template, name);
  if (var == nullptr) return Status::ok();
  const auto value = var->find("value");
  if (value == var->end() || !value->is_string()) {
    return invalidArgument(name + ": value must be a string (valueFrom is not supported)");
  }
  const std::string text = value->get<std::string>();
  char* end = nullptr;
  const double parsed = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(parsed)) {
    return invalidArgument(name + ": not a number: \"" + text + "\"");
  }
  if (parsed < min || parsed > max) {
    return invalidArgument(name + ": " + text + " is outside [" + std::to_string(min) + ", " +
                           std::to_string(max) + "]");
  }
  out = parsed;
  return Status::ok();
}

}  // namespace

double ModelBehavior::latencyMu() const {
  return std::log(latency_p50_ms / 1000.0);
}

double ModelBehavior::latencySigma() const {
  return std::log(latency_p99_ms / latency_p50_ms) / kZ99;
}

Result<ModelBehavior> parseBehavior(const nlohmann::json& pod_template) {
  ModelBehavior b;
  constexpr double kHuge = 1e9;
  for (const auto& [name, min, max, field] :
       {std::tuple{"SIM_ERROR_RATE", 0.0, 1.0, &b.error_rate},
        std::tuple{"SIM_LATENCY_MS_P50", 1e-3, kHuge, &b.latency_p50_ms},
        std::tuple{"SIM_LATENCY_MS_P99", 1e-3, kHuge, &b.latency_p99_ms},
        std::tuple{"SIM_PREDICTION_SHIFT", -1.0, 1.0, &b.prediction_shift},
        std::tuple{"SIM_ABS_ERROR", 0.0, kHuge, &b.abs_error},
        std::tuple{"SIM_LABEL_RATE", 0.0, 1.0, &b.label_rate}}) {
    Status s = readNumber(pod_template, name, min, max, *field);
    if (!s.isOk()) return s;
  }
  // Only P50 given and above the default P99: keep the default spread instead of failing.
  if (findEnv(pod_template, "SIM_LATENCY_MS_P99") == nullptr &&
      b.latency_p99_ms < b.latency_p50_ms) {
    b.latency_p99_ms = b.latency_p50_ms * 2.5;
  }
  if (b.latency_p99_ms < b.latency_p50_ms) {
    return invalidArgument("SIM_LATENCY_MS_P99 must be >= SIM_LATENCY_MS_P50");
  }
  return b;
}

}  // namespace mr::sim
