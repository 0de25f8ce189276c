// The checks: one call judges a canary against the request's AnalysisSpec with the queries of
// default_queries.h (or the spec's overrides) and returns per-metric results and the check's
// verdict (worst metric). Rules every metric follows, in this order:
//   query could not be rendered or run      -> Error (message says why; never promotes)
//   sample size < minSampleSize             -> no data
//   empty result or NaN                     -> no data
//   value compared with its threshold       -> Pass | Fail, or Inconclusive where sampling
//                                              noise cannot tell: error rate (Wilson), drift
//                                              and maeDegradation (noise_aware.h)
// where "no data" is Inconclusive, or Fail when spec.onNoData is Fail. Never Pass without data.
// Query budget per check: 1 shared sample-size query (canary requests in the window) plus
// errorRate 1, latencyP99 1, drift 2 (canary and stable buckets), maeDegradation 2 (sums and
// counts by role), custom 1 each: 7 + custom with all defaults.
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
