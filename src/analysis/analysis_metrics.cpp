#include "analysis/analysis_metrics.h"

#include "analysis/analysis_spec.h"

namespace mr::analysis {

AnalysisMetrics::AnalysisMetrics(prometheus::Registry& registry)
    : checks_(prometheus::BuildCounter()
                  .Name("modelrollout_analysis_checks_total")
                  .Help("Analysis checks completed, by verdict")
                  .Register(registry)),
      verdicts_(prometheus::BuildCounter()
                    .Name("modelrollout_analysis_verdicts_total")
                    .Help("Per-metric analysis verdicts, by metric and verdict")
                    .Register(registry)),
      query_errors_(prometheus::BuildCounter()
                        .Name("modelrollout_analysis_query_errors_total")
                        .Help("Prometheus queries that failed, by status code")
                        .Register(registry)) {
  query_duration_ = &prometheus::BuildHistogram()
                         .Name("modelrollout_analysis_query_duration_seconds")
                         .Help(
                             "Latency of Prometheus queries made by the analysis, retries "
                             "included")
                         .Register(registry)
                         .Add({}, prometheus::Histogram::BucketBoundaries{
                                      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
  pending_ = &prometheus::BuildGauge()
                  .Name("modelrollout_analysis_pending")
                  .Help("Analysis checks queued or running")
                  .Register(registry)
                  .Add({});
}

void AnalysisMetrics::countCheck(Verdict v) {
  checks_.Add({{"verdict", verdictName(v)}}).Increment();
}

void AnalysisMetrics::countMetric(const std::string& metric, Verdict v) {
  verdicts_
      .Add({{"metric", isBuiltinMetric(metric) ? metric : "custom"}, {"verdict", verdictName(v)}})
      .Increment();
}

void AnalysisMetrics::observeQuery(double seconds, const Status& status) {
  query_duration_->Observe(seconds);
  if (!status.isOk()) query_errors_.Add({{"code", statusCodeName(status.code())}}).Increment();
}

Result<QueryResult> InstrumentedPrometheusApi::query(const std::string& promql) {
  const auto start = clock_.steadyNow();
  auto r = inner_.query(promql);
  metrics_.observeQuery(std::chrono::duration<double>(clock_.steadyNow() - start).count(),
                        r.status());
  return r;
}

}  // namespace mr::analysis
