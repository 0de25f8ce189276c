// The default PromQL of each built-in check, written against the pinned model-server metric
// contract (docs/analysis.md). They select on namespace, rollout and role only (not revision),
// as the PodMonitor relabeling provides them. Every one can be overridden per metric in the
// spec; an override returns the metric's value directly (error fraction, P99 in ms, PSI, MAE
// degradation) and is judged with the shared canary sample size.
// Thread-safety: constants.
#pragma once

namespace mr::analysis::default_queries {

#define MR_SELECTOR "namespace=\"{{namespace}}\",rollout=\"{{rollout}}\",role=\"{{role}}\""

// Requests of one role in the window: the shared sample size (read for the canary).
inline constexpr const char* kRequests =
    "sum(increase(model_requests_total{" MR_SELECTOR "}[{{window}}]))";
// 5xx responses of one role; "or vector(0)" because a revision that never failed has no 5xx
// series at all (the request count above guards against a missing metric).
inline constexpr const char* kServerErrors =
    "sum(increase(model_requests_total{" MR_SELECTOR ",code=~\"5..\"}[{{window}}])) or vector(0)";
inline constexpr const char* kLatencyP99Ms =
    "histogram_quantile(0.99, sum by (le) (rate(model_request_duration_seconds_bucket{" MR_SELECTOR
    "}[{{window}}]))) * 1000";
// Per-bucket increases of the prediction-score histogram, one query per role.
inline constexpr const char* kPredictionBuckets =
    "sum by (le) (increase(model_prediction_bucket{" MR_SELECTOR "}[{{window}}]))";
// Absolute-error sum and count of both roles, one series per role.
inline constexpr const char* kAbsoluteErrorSum =
    "sum by (role) (increase(model_absolute_error_sum{namespace=\"{{namespace}}\","
    "rollout=\"{{rollout}}\",role=~\"canary|stable\"}[{{window}}]))";
inline constexpr const char* kAbsoluteErrorCount =
    "sum by (role) (increase(model_absolute_error_count{namespace=\"{{namespace}}\","
    "rollout=\"{{rollout}}\",role=~\"canary|stable\"}[{{window}}]))";

#undef MR_SELECTOR

}  // namespace mr::analysis::default_queries
