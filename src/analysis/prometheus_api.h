// PrometheusApi: the one seam between the checks and Prometheus. The real implementation is
// PrometheusClient (prometheus_client.h, HTTP/HTTPS); tests substitute a fake that maps PromQL
// to canned QueryResults or Statuses.
// Thread-safety: implementations must allow query() from one thread at a time at least; the
// analyzer never shares an instance between concurrent checks.
#pragma once

#include <string>

#include "analysis/query_result.h"
#include "common/status.h"

namespace mr::analysis {

class PrometheusApi {
 public:
  virtual ~PrometheusApi() = default;
  // Runs an instant query evaluated "now". Errors: kUnavailable (unreachable, 503),
  // kDeadlineExceeded (timeout), kInvalidArgument (400/422 bad query), kInternal (other).
  virtual Result<QueryResult> query(const std::string& promql) = 0;
};

}  // namespace mr::analysis
