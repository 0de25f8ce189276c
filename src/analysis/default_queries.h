// The default PromQL of each built-in check, written against the pinned model-server metric
// contract (docs/metric-mapping.md). Every query selects the revision as well as the role, and
// reads the counters' increase over {{elapsed}}: the time since the canary revision's evidence
// began (its first step of this attempt). So each check sees all the evidence of this canary
// revision so far, never a sliding window and never a previous canary's data. Every one can be
// overridden per metric in the spec; an override returns the metric's value directly (error
// fraction, P99 in ms, PSI, MAE degradation) over the user's own window and is compared with
// the threshold as a point value (no anytime-valid guarantee; docs/analysis.md).
// Thread-safety: constants.
#pragma once

namespace mr::analysis::default_queries {

#define MR_SELECTOR                                                                   \
  "namespace=\"{{namespace}}\",rollout=\"{{rollout}}\",role=\"{{role}}\",revision=\"" \
  "{{revision}}\""
#define MR_BOTH_ROLES                                                                        \
  "namespace=\"{{namespace}}\",rollout=\"{{rollout}}\",role=~\"canary|stable\",revision=~\"" \
  "{{canaryRevision}}|{{stableRevision}}\""

// Requests of one role: the sample size of errorRate and latencyP99.
inline constexpr const char* kRequests =
    "sum(increase(model_requests_total{" MR_SELECTOR "}[{{elapsed}}]))";
// 5xx responses of one role; "or vector(0)" because a revision that never failed has no 5xx
// series at all (the request count above tells a missing metric apart).
inline constexpr const char* kServerErrors =
    "sum(increase(model_requests_total{" MR_SELECTOR ",code=~\"5..\"}[{{elapsed}}])) or vector(0)";
// Per-bucket increases of the request-duration histogram (seconds): the fraction of requests
// slower than maxMs is judged from these counts.
inline constexpr const char* kLatencyBuckets =
    "sum by (le) (increase(model_request_duration_seconds_bucket{" MR_SELECTOR "}[{{elapsed}}]))";
// Per-bucket increases of the prediction-score histogram, one query per role.
inline constexpr const char* kPredictionBuckets =
    "sum by (le) (increase(model_prediction_bucket{" MR_SELECTOR "}[{{elapsed}}]))";
// Absolute-error count, sum and sum of squares of both roles, one series per role.
inline constexpr const char* kAbsoluteErrorCount =
    "sum by (role) (increase(model_absolute_error_count{" MR_BOTH_ROLES "}[{{elapsed}}]))";
inline constexpr const char* kAbsoluteErrorSum =
    "sum by (role) (increase(model_absolute_error_sum{" MR_BOTH_ROLES "}[{{elapsed}}]))";
inline constexpr const char* kAbsoluteErrorSquaredSum =
    "sum by (role) (increase(model_absolute_error_squared_sum{" MR_BOTH_ROLES "}[{{elapsed}}]))";

#undef MR_BOTH_ROLES
#undef MR_SELECTOR

}  // namespace mr::analysis::default_queries
