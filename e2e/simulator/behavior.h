// ModelBehavior: how one version of a simulated model server behaves, read from the
// environment of its pod template (the first container that sets a SIM_* variable wins per
// variable). Variables and defaults:
//   SIM_ERROR_RATE       fraction of requests answered 500, in [0,1]         (0)
//   SIM_LATENCY_MS_P50   median latency in ms, > 0                            (20)
//   SIM_LATENCY_MS_P99   99th percentile latency in ms, >= P50                (50)
//   SIM_PREDICTION_SHIFT added to Beta(2,5) prediction scores, clamped [0,1]  (0)
//   SIM_ABS_ERROR        mean absolute error of labelled predictions, >= 0    (0.1)
//   SIM_LABEL_RATE       fraction of successful requests that get a label     (1)
// Latency is lognormal with mu = ln(p50) and sigma = ln(p99/p50) / z(0.99).
// Thread-safety: value types and pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace mr::sim {

struct ModelBehavior {
  double error_rate = 0.0;
  double latency_p50_ms = 20.0;
  double latency_p99_ms = 50.0;
  double prediction_shift = 0.0;
  double abs_error = 0.1;
  double label_rate = 1.0;

  // Lognormal parameters of the latency in seconds.
  double latencyMu() const;
  double latencySigma() const;

  bool operator==(const ModelBehavior&) const = default;
};

// Reads the behaviour from a PodTemplateSpec (`{metadata, spec: {containers: [...]}}`).
// Missing variables take their defaults; a malformed or out-of-range value is an
// InvalidArgument naming the variable.
Result<ModelBehavior> parseBehavior(const nlohmann::json& pod_template);

}  // namespace mr::sim
