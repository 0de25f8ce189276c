#include "analysis/checks.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "analysis/default_queries.h"
#include "analysis/noise_aware.h"
#include "analysis/query_template.h"
#include "analysis/statistics.h"

namespace mr::analysis {

namespace {

std::string atMost(double max, const char* unit = "") {
  return "<= " + formatNumber(max) + unit;
}

// Sample size shared by the metrics that have no sample count of their own.
struct SampleSize {
  Status status;
  double value = 0;
};

class CheckRunner {
 public:
  CheckRunner(const AnalysisRequest& request, PrometheusApi& api) : req_(request), api_(api) {}

  SampleSize canaryRequests() {
    auto q = render(default_queries::kRequests, "canary");
    if (!q) return {q.status(), 0};
    auto v = number(*q);
    if (!v) return {v.status().withContext("sample-size query " + *q), 0};
    // No series at all means no requests yet; NaN cannot be a count.
    return {Status(), v->has_value() && !std::isnan(**v) ? **v : 0};
  }

  MetricResult errorRate(const SampleSize& n) {
    const auto& spec = req_.spec.error_rate;
    MetricResult m = start("errorRate", atMost(spec.max));
    const bool override = !spec.query.empty();
    if (!prepare(m, override ? spec.query : default_queries::kServerErrors, n)) return m;
    auto v = number(m.query);
    if (!v) return error(m, v.status());
    // An override returns the fraction; the default returns the count of 5xx.
    std::optional<double> rate;
    if (*v && !std::isnan(**v) && n.value > 0) rate = override ? **v : **v / n.value;
    if (noData(m, *v, n.value, rate)) return m;
    const double k = override ? **v * n.value : **v;
    const auto w = wilsonInterval(k, n.value);
    m.value = w.point;
    const std::string numbers = "error rate " + formatNumber(w.point) + " (" + formatNumber(k) +
                                " of " + formatNumber(n.value) + " requests, 95% Wilson [" +
                                formatNumber(w.lower) + ", " + formatNumber(w.upper) + "])";
    if (w.lower > spec.max) {
      return finish(m, Verdict::kFail, numbers + ": lower bound > max " + formatNumber(spec.max));
    }
    if (w.point <= spec.max) {
      return finish(m, Verdict::kPass, numbers + " <= max " + formatNumber(spec.max));
    }
    return finish(m, Verdict::kInconclusive,
                  numbers + " > max " + formatNumber(spec.max) +
                      " but the lower bound is within it; more data needed");
  }

  MetricResult latencyP99(const SampleSize& n) {
    const auto& spec = req_.spec.latency_p99_ms;
    MetricResult m = start("latencyP99", atMost(spec.max, "ms"));
    return singleNumber(m, spec.query.empty() ? default_queries::kLatencyP99Ms : spec.query, n,
                        std::nullopt, spec.max, "P99 latency", "ms");
  }

  MetricResult drift(const SampleSize& n) {
    const auto& spec = req_.spec.drift;
    MetricResult m = start("drift", atMost(spec.max));
    if (!spec.query.empty()) {
      return singleNumber(m, spec.query, n, std::nullopt, spec.max, "PSI", "");
    }
    auto canary_q = render(default_queries::kPredictionBuckets, "canary");
    auto stable_q = render(default_queries::kPredictionBuckets, "stable");
    if (!canary_q) return error(m, canary_q.status());
    if (!stable_q) return error(m, stable_q.status());
    m.query = *canary_q;
    auto canary = buckets(*canary_q);
    if (!canary) return error(m, canary.status());
    auto stable = buckets(*stable_q);
    if (!stable) return error(m, stable.status());
    if (canary->empty() || stable->empty()) {
      return finish(m, noDataVerdict(),
                    std::string("no data: ") + (canary->empty() ? "canary" : "stable") +
                        " prediction histogram is empty");
    }
    auto psi = populationStabilityIndex(*stable, *canary);
    if (!psi) return error(m, psi.status());
    m.sample_size = psi->actual_total;
    const double min_n = req_.spec.min_sample_size;
    if (psi->actual_total < min_n || psi->expected_total < min_n) {
      return finish(m, noDataVerdict(),
                    "predictions in window: canary " + formatNumber(psi->actual_total) +
                        ", stable " + formatNumber(psi->expected_total) + " < minSampleSize " +
                        std::to_string(req_.spec.min_sample_size));
    }
    return judged(m, judgeDrift(*psi, spec.max));
  }

  MetricResult maeDegradation(const SampleSize& n) {
    const auto& spec = req_.spec.mae_degradation;
    MetricResult m = start("maeDegradation", atMost(spec.max));
    if (!spec.query.empty()) {
      return singleNumber(m, spec.query, n, std::nullopt, spec.max, "MAE degradation", "");
    }
    auto sum_q = render(default_queries::kAbsoluteErrorSum, "canary");
    auto count_q = render(default_queries::kAbsoluteErrorCount, "canary");
    if (!sum_q) return error(m, sum_q.status());
    if (!count_q) return error(m, count_q.status());
    m.query = *sum_q;
    auto sums = byRole(*sum_q);
    if (!sums) return error(m, sums.status());
    auto counts = byRole(*count_q);
    if (!counts) return error(m, counts.status());
    const double cc = counts->canary.value_or(0), sc = counts->stable.value_or(0);
    m.sample_size = cc;
    const double min_n = req_.spec.min_sample_size;
    if (cc < min_n || sc < min_n || cc <= 0 || sc <= 0) {
      return finish(m, noDataVerdict(),
                    "labelled samples in window: canary " + formatNumber(cc) + ", stable " +
                        formatNumber(sc) + " < minSampleSize " +
                        std::to_string(req_.spec.min_sample_size));
    }
    if (!sums->canary || !sums->stable) {
      return finish(m, noDataVerdict(), "no data: absolute-error sum missing for a role");
    }
    // increase() never goes below 0; a negative sum would be a broken override of the metric.
    return judged(m, judgeMaeDegradation(std::max(0.0, *sums->canary), cc,
                                         std::max(0.0, *sums->stable), sc, spec.max));
  }

  MetricResult custom(const CustomMetric& c, const SampleSize& n) {
    std::string threshold;
    if (c.min) threshold = ">= " + formatNumber(*c.min);
    if (c.max) threshold += (threshold.empty() ? "" : ", ") + atMost(*c.max);
    MetricResult m = start(c.name, threshold);
    return singleNumber(m, c.query, n, c.min, c.max, c.name, "");
  }

 private:
  struct RoleValues {
    std::optional<double> canary;
    std::optional<double> stable;
  };

  MetricResult start(std::string name, std::string threshold) {
    MetricResult m;
    m.name = std::move(name);
    m.threshold = std::move(threshold);
    return m;
  }

  Result<std::string> render(std::string_view text, const std::string& role) {
    TemplateVars v{req_.namespace_name,
                   req_.rollout,
                   role,
                   role == "canary" ? req_.canary_revision : req_.stable_revision,
                   req_.stable_revision,
                   req_.canary_revision,
                   req_.spec.window};
    auto r = renderQuery(text, v);
    if (!r) return r.status().withContext("configuration error");
    return r;
  }

  // After a transport failure (no HTTP status: unreachable, TLS, timeout) the rest of the
  // check fails fast with the same error, so a dead Prometheus costs one timeout per check,
  // not one per query.
  Result<QueryResult> query(const std::string& promql) {
    if (!transport_failure_.isOk()) return transport_failure_;
    auto r = api_.query(promql);
    if (!r.isOk() && r.status().httpCode() == 0 && r.status().isRetryable()) {
      transport_failure_ = r.status();
    }
    return r;
  }

  Result<std::optional<double>> number(const std::string& promql) {
    auto r = query(promql);
    if (!r) return r.status();
    return singleValue(*r);
  }

  Result<std::vector<CumulativeBucket>> buckets(const std::string& promql) {
    auto r = query(promql);
    if (!r) return r.status();
    if (r->type != ResultType::kVector) {
      return invalidArgument(std::string("bucket query returned a ") + resultTypeName(r->type));
    }
    std::vector<CumulativeBucket> out;
    for (const auto& s : r->samples) {
      auto it = s.labels.find("le");
      if (it == s.labels.end()) return invalidArgument("bucket series without an le label");
      auto le = parseLe(it->second);
      if (!le) return le.status();
      if (!std::isnan(s.value)) out.push_back({*le, s.value});
    }
    return out;
  }

  Result<RoleValues> byRole(const std::string& promql) {
    auto r = query(promql);
    if (!r) return r.status();
    if (r->type != ResultType::kVector) {
      return invalidArgument(std::string("query returned a ") + resultTypeName(r->type));
    }
    RoleValues out;
    for (const auto& s : r->samples) {
      auto it = s.labels.find("role");
      if (it == s.labels.end() || std::isnan(s.value)) continue;
      if (it->second == "canary") out.canary = s.value;
      if (it->second == "stable") out.stable = s.value;
    }
    return out;
  }

  // Renders the query into m.query and records the sample size. False when m is final.
  bool prepare(MetricResult& m, std::string_view text, const SampleSize& n) {
    auto q = render(text, "canary");
    if (!q) {
      error(m, q.status());
      return false;
    }
    m.query = *q;
    if (!n.status.isOk()) {
      error(m, n.status);
      return false;
    }
    m.sample_size = n.value;
    return true;
  }

  // Applies the no-data rules; true when m is final.
  // `shown` is the value recorded for visibility when the sample is too small.
  bool noData(MetricResult& m, const std::optional<double>& v, double n,
              std::optional<double> shown) {
    if (n < req_.spec.min_sample_size) {
      if (shown && std::isfinite(*shown)) m.value = shown;
      finish(m, noDataVerdict(),
             "sample size " + formatNumber(n) + " < minSampleSize " +
                 std::to_string(req_.spec.min_sample_size));
      return true;
    }
    if (!v) {
      finish(m, noDataVerdict(), "no data: the query returned an empty result");
      return true;
    }
    if (std::isnan(*v)) {
      finish(m, noDataVerdict(), "no data: the query returned NaN");
      return true;
    }
    return false;
  }

  MetricResult singleNumber(MetricResult& m, std::string_view text, const SampleSize& n,
                            std::optional<double> min, std::optional<double> max,
                            const std::string& what, const std::string& unit) {
    if (!prepare(m, text, n)) return m;
    auto v = number(m.query);
    if (!v) return error(m, v.status());
    if (noData(m, *v, n.value, *v)) return m;
    if (std::isfinite(**v)) m.value = **v;  // status JSON cannot hold +-Inf
    return compare(m, **v, min, max, what, unit);
  }

  MetricResult compare(MetricResult& m, double v, std::optional<double> min,
                       std::optional<double> max, const std::string& what,
                       const std::string& suffix) {
    const std::string text = what + " " + formatNumber(v) + suffix;
    if (min && v < *min) return finish(m, Verdict::kFail, text + " < min " + formatNumber(*min));
    if (max && v > *max) return finish(m, Verdict::kFail, text + " > max " + formatNumber(*max));
    return finish(m, Verdict::kPass, text + " within " + m.threshold);
  }

  MetricResult judged(MetricResult& m, Judgement j) {
    m.value = j.value;
    return finish(m, j.verdict, std::move(j.message));
  }

  Verdict noDataVerdict() const {
    return req_.spec.on_no_data == NoDataPolicy::kFail ? Verdict::kFail : Verdict::kInconclusive;
  }

  MetricResult finish(MetricResult& m, Verdict v, std::string message) {
    m.verdict = v;
    m.message = std::move(message);
    return m;
  }

  MetricResult error(MetricResult& m, const Status& s) {
    m.value.reset();
    return finish(m, Verdict::kError, s.message());
  }

  const AnalysisRequest& req_;
  PrometheusApi& api_;
  Status transport_failure_;
};

}  // namespace

std::string summarize(const std::vector<MetricResult>& metrics) {
  if (metrics.empty()) return "no metrics enabled; nothing to judge";
  const MetricResult* w = &metrics.front();
  for (const auto& m : metrics) {
    if (static_cast<int>(m.verdict) > static_cast<int>(w->verdict)) w = &m;
  }
  if (w->verdict == Verdict::kPass) {
    return "all " + std::to_string(metrics.size()) + " metrics passed";
  }
  return w->name + ": " + w->message + " (" + verdictName(w->verdict) + ")";
}

AnalysisResult runAnalysis(const AnalysisRequest& request, PrometheusApi& api, const Clock& clock) {
  CheckRunner runner(request, api);
  const SampleSize n = runner.canaryRequests();
  AnalysisResult result;
  const auto& s = request.spec;
  if (s.error_rate.enabled) result.metrics.push_back(runner.errorRate(n));
  if (s.latency_p99_ms.enabled) result.metrics.push_back(runner.latencyP99(n));
  if (s.drift.enabled) result.metrics.push_back(runner.drift(n));
  if (s.mae_degradation.enabled) result.metrics.push_back(runner.maeDegradation(n));
  for (const auto& c : s.custom)
    result.metrics.push_back(runner.custom(c, n));
  result.verdict = Verdict::kPass;
  for (const auto& m : result.metrics)
    result.verdict = worst(result.verdict, m.verdict);
  result.message = summarize(result.metrics);
  result.time = clock.now();
  result.canary_revision = request.canary_revision;
  result.step = request.step;
  return result;
}

}  // namespace mr::analysis
