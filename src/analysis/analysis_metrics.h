// AnalysisMetrics: the analyzer's controller metrics, registered on the controller's
// prometheus::Registry so they appear on its /metrics:
//   modelrollout_analysis_checks_total{verdict}
//   modelrollout_analysis_verdicts_total{metric,verdict}   (custom metrics share metric="custom"
//                                                           to bound label cardinality)
//   modelrollout_analysis_query_duration_seconds           (histogram, one per PromQL query)
//   modelrollout_analysis_query_errors_total{code}         (StatusCode name)
//   modelrollout_analysis_pending                          (checks queued or running)
// InstrumentedPrometheusApi decorates a PrometheusApi to feed the query metrics.
// Thread-safety: all methods are safe from any thread (prometheus-cpp metrics are atomic).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "analysis/prometheus_api.h"
#include "analysis/verdict.h"
#include "common/clock.h"

namespace mr::analysis {

class AnalysisMetrics {
 public:
  // `registry` must outlive this object.
  explicit AnalysisMetrics(prometheus::Registry& registry);

  void countCheck(Verdict v);
  void countMetric(const std::string& metric, Verdict v);  // built-in name or anything else
  void observeQuery(double seconds, const Status& status);
  prometheus::Gauge& pending() { return *pending_; }

 private:
  prometheus::Family<prometheus::Counter>& checks_;
  prometheus::Family<prometheus::Counter>& verdicts_;
  prometheus::Family<prometheus::Counter>& query_errors_;
  prometheus::Histogram* query_duration_;
  prometheus::Gauge* pending_;
};

class InstrumentedPrometheusApi final : public PrometheusApi {
 public:
  // All references must outlive this object.
  InstrumentedPrometheusApi(PrometheusApi& inner, AnalysisMetrics& metrics, const Clock& clock)
      : inner_(inner), metrics_(metrics), clock_(clock) {}
  Result<QueryResult> query(const std::string& promql) override;

 private:
  PrometheusApi& inner_;
  AnalysisMetrics& metrics_;
  const Clock& clock_;
};

}  // namespace mr::analysis
