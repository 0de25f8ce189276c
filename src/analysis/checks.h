// The checks: one call judges a canary against the request's AnalysisSpec with the queries of
// default_queries.h (or the spec's overrides) and returns per-metric results and the check's
// verdict (worst metric, Skipped ignored). The built-in metrics read the evidence accumulated
// since the canary revision's first step and decide with the anytime-valid tests of
// sequential.h, at harm level (1 - confidence) / (number of such metrics) and within level
// (1 - confidence):
//   query could not be rendered or run        -> Error (never promotes, never rolls back)
//   maxMs outside the latency histogram        -> Error with kInvalidSpecPrefix
//   no samples at all                          -> no data (Inconclusive, or Fail by onNoData)
//   evidence of harm                           -> Fail, at any sample size
//   evidence of "within" and >= minSampleSize  -> Pass
//   otherwise                                  -> Inconclusive, saying what more is needed
//   a default metric exported by neither role  -> Skipped (only when not listed in spec)
// Overrides and custom metrics are point values compared with their thresholds once the
// canary has minSampleSize requests (no statistical guarantee; docs/analysis.md).
// Queries per check: 1 shared sample size + errorRate 1 (3 relative) + latencyP99 1
// (2 relative) + drift 2 + maeDegradation 3 + custom 1 each.
// Thread-safety: runAnalysis is reentrant; `api` is used from the calling thread only.
#pragma once

#include "analysis/analyzer.h"
#include "analysis/prometheus_api.h"
#include "common/clock.h"

namespace mr::analysis {

AnalysisResult runAnalysis(const AnalysisRequest& request, PrometheusApi& api, const Clock& clock);

// One-line summary of a result's worst metric, e.g. "errorRate: error rate 0.02 ... (Fail)".
std::string summarize(const std::vector<MetricResult>& metrics);

}  // namespace mr::analysis
