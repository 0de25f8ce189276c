// SimulatedPrometheus: an analysis::PrometheusApi that answers the default queries of
// analysis/default_queries.h from a DataPlane, as Prometheus would from the model servers'
// counters: sum(increase(metric{selector}[range])) over the series the selector matches, with
// `sum by (le)` giving cumulative bucket counts and `sum by (role)` one sample per role. The
// query is recognised by its metric name, its role and revision matchers (= or =~ a|b), the
// `code=~"5.."` matcher, its range and its aggregation; "or vector(0)" answers 0 when no series
// matches. The range ends at the clock's now. Anything else (an override, a changed default
// query) is answered kInvalidArgument, which the checks report as Error, so a change of the
// query contract shows in the simulation instead of being guessed at.
// Fault mode: each query fails with kUnavailable with probability `failure_rate` (outage noise).
// Thread-safety: one instance per thread.
#pragma once

#include <string>

#include "analysis/prometheus_api.h"
#include "bench/analysis_sim/data_plane.h"
#include "common/clock.h"
#include "common/seeded_random.h"

namespace mr::analysis_sim {

class SimulatedPrometheus final : public analysis::PrometheusApi {
 public:
  SimulatedPrometheus(const DataPlane& plane, const Clock& clock, double failure_rate,
                      std::uint64_t seed)
      : plane_(plane), clock_(clock), failure_rate_(failure_rate), rng_(seed) {}

  Result<analysis::QueryResult> query(const std::string& promql) override;

  int queries() const { return queries_; }
  int failures() const { return failures_; }
  int unrecognised() const { return unrecognised_; }

 private:
  const DataPlane& plane_;
  const Clock& clock_;
  double failure_rate_;
  SeededRandom rng_;
  int queries_ = 0;
  int failures_ = 0;
  int unrecognised_ = 0;
};

}  // namespace mr::analysis_sim
