// CheckQueries: renders the PromQL of one check and runs it against Prometheus, shaping the
// answers the checks need (one number, a histogram's buckets, one value per role). After a
// transport failure (no HTTP status: unreachable, TLS, timeout) the rest of the check fails
// fast with the same error, so a dead Prometheus costs one timeout per check, not one per query.
// Thread-safety: one instance per check, used from one thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analyzer.h"
#include "analysis/prometheus_api.h"
#include "analysis/statistics.h"
#include "common/clock.h"

namespace mr::analysis {

struct RoleValues {
  std::optional<double> canary;
  std::optional<double> stable;
};

class CheckQueries {
 public:
  // `now` fixes {{elapsed}} = now - request.evidence_since (whole seconds, at least 1 s).
  CheckQueries(const AnalysisRequest& request, PrometheusApi& api, SystemTime now);

  // Renders `text` for `role` ("canary" or "stable"); a configuration error names the variable.
  Result<std::string> render(std::string_view text, const std::string& role) const;
  // One number; nullopt for an empty vector. NaN is returned as NaN.
  Result<std::optional<double>> number(const std::string& promql);
  // The samples of a `sum by (le)` query as cumulative buckets (NaN samples dropped).
  Result<std::vector<CumulativeBucket>> buckets(const std::string& promql);
  // The samples of a `sum by (role)` query.
  Result<RoleValues> byRole(const std::string& promql);

 private:
  Result<QueryResult> query(const std::string& promql);

  const AnalysisRequest& req_;
  PrometheusApi& api_;
  std::chrono::milliseconds elapsed_;
  Status transport_failure_;
};

}  // namespace mr::analysis
