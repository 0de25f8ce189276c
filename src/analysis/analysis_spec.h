// AnalysisSpec: the `spec.analysis` block of a ModelRollout, already parsed and defaulted
// (parsing and validation live in src/rollout/modelrollout_parse; this header is shared so the
// analysis module does not depend on the rollout module). Units are explicit in field names.
// Thread-safety: plain value types.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mr::analysis {

enum class NoDataPolicy { kInconclusive, kFail };
enum class InconclusiveLimitPolicy { kPause, kRollback };

struct SecretKeyRef {
  std::string name;  // Secret in the ModelRollout's namespace
  std::string key;
};

struct PrometheusSpec {
  std::string address = "http://prometheus.monitoring:9090";
  std::chrono::milliseconds timeout{10000};
  std::optional<SecretKeyRef> bearer_token;  // spec.analysis.prometheus.bearerTokenSecretRef
  std::optional<SecretKeyRef> ca_cert;       // spec.analysis.prometheus.caSecretRef (PEM)
  bool insecure_skip_tls_verify = false;
};

// A built-in check. `query` overrides the default query; empty = default.
struct ThresholdMetric {
  bool enabled = true;
  double max = 0;
  std::string query;
  // Listed by the user in spec.analysis.metrics (false: on by default because `metrics` was
  // omitted). A default metric the model server does not export at all is skipped, not waited
  // for; a listed one is always judged.
  bool listed = false;
  // relativeTo: stable (errorRate, latencyP99): judged as canary / stable <= max_ratio instead
  // of against `max`.
  std::optional<double> max_ratio;
};

// The names of the built-in checks (spec.analysis.metrics.<name>, MetricResult::name); a
// custom metric may not take one (status, Events and the per-metric series would mix them).
inline bool isBuiltinMetric(std::string_view name) {
  return name == "errorRate" || name == "latencyP99" || name == "drift" || name == "maeDegradation";
}

struct CustomMetric {
  std::string name;
  std::string query;
  std::optional<double> min;
  std::optional<double> max;
};

struct AnalysisSpec {
  PrometheusSpec prometheus;
  std::chrono::milliseconds interval{60000};
  std::chrono::milliseconds window{300000};
  // For a canary within every threshold, P(the whole rollout rolls it back on evidence) <=
  // 1 - confidence; for a canary worse than a threshold, P(it is promoted) <= 1 - confidence
  // (docs/analysis.md).
  double confidence = 0.99;
  int failure_limit = 1;
  int min_sample_size = 500;  // gates Pass only; evidence of harm needs no minimum
  NoDataPolicy on_no_data = NoDataPolicy::kInconclusive;
  // How long a step may stay past its hold without a decision (Inconclusive) before
  // onInconclusiveLimit applies. Errors (an outage) never start or advance this clock.
  std::chrono::milliseconds inconclusive_timeout{std::chrono::hours(24)};
  InconclusiveLimitPolicy on_inconclusive_limit = InconclusiveLimitPolicy::kPause;

  ThresholdMetric error_rate{true, 0.001, "", false, std::nullopt};    // fraction of 5xx
  ThresholdMetric latency_p99_ms{true, 100, "", false, std::nullopt};  // milliseconds
  ThresholdMetric drift{true, 0.2, "", false, std::nullopt};  // PSI; an override returns PSI
  ThresholdMetric mae_degradation{true, 0.1, "", false, std::nullopt};  // canary/stable MAE - 1
  std::vector<CustomMetric> custom;
};

}  // namespace mr::analysis
