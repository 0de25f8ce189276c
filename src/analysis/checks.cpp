#include "analysis/checks.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "analysis/check_queries.h"
#include "analysis/default_queries.h"
#include "analysis/sequential.h"
#include "analysis/statistics.h"

namespace mr::analysis {

namespace {

std::string atMost(double max, const char* unit = "") {
  return "<= " + formatNumber(max) + unit;
}

std::string percent(double p) {
  return formatNumber(p * 100) + "%";
}

std::string bounds(const EvidenceResult& e, const Levels& levels, double scale = 1.0,
                   double shift = 0.0) {
  if (!e.lower && !e.upper) return "";
  auto show = [&](const std::optional<double>& v, const char* none) {
    return v ? formatNumber(*v * scale + shift) : std::string(none);
  };
  return "; anytime-valid bounds [" + show(e.lower, "0") + ", " + show(e.upper, "+Inf") +
         "] (harm level " + formatNumber(levels.harm) + ", within level " +
         formatNumber(levels.within) + ")";
}

// Number of built-in metrics judged with a statistical test: the harm level is shared among
// them (Bonferroni), so the whole rollout's false-rollback probability stays <= 1 - confidence.
int statisticalMetrics(const AnalysisSpec& s) {
  int m = 0;
  for (const ThresholdMetric* t :
       {&s.error_rate, &s.latency_p99_ms, &s.drift, &s.mae_degradation}) {
    if (t->enabled && t->query.empty()) ++m;
  }
  return std::max(1, m);
}

class CheckRunner {
 public:
  CheckRunner(const AnalysisRequest& request, PrometheusApi& api, SystemTime now)
      : req_(request), q_(request, api, now) {
    const double alpha = 1.0 - std::clamp(request.spec.confidence, 0.5, 0.999999);
    levels_ = {alpha / statisticalMetrics(request.spec), alpha};
  }

  struct Count {
    Status status;
    double value = 0;
    bool exists = false;  // the metric has a series at all
  };

  Count requests(const std::string& role) { return count(default_queries::kRequests, role); }

  MetricResult errorRate(const Count& n) {
    const auto& spec = req_.spec.error_rate;
    const bool relative = spec.max_ratio.has_value();
    MetricResult m =
        start("errorRate",
              relative ? "canary/stable <= " + formatNumber(*spec.max_ratio) : atMost(spec.max));
    if (!spec.query.empty())
      return pointValue(m, spec.query, n, std::nullopt, spec.max, "error rate", "");
    if (!n.status.isOk()) return error(m, n.status);
    if (!render(m, default_queries::kServerErrors, "canary")) return m;
    m.sample_size = n.value;
    auto k = count(default_queries::kServerErrors, "canary");
    if (!k.status.isOk()) return error(m, k.status);
    if (n.value <= 0) return noData(m, "no canary requests yet");
    const BinomialCounts c{n.value, k.value};
    m.value = std::clamp(std::round(k.value) / std::max(1.0, std::round(n.value)), 0.0, 1.0);
    const std::string numbers = "error rate " + formatNumber(*m.value) + " (" +
                                formatNumber(std::round(k.value)) + " of " +
                                formatNumber(std::round(n.value)) + " canary requests)";
    if (relative) {
      auto ns = requests("stable");
      if (!ns.status.isOk()) return error(m, ns.status);
      auto ks = count(default_queries::kServerErrors, "stable");
      if (!ks.status.isOk()) return error(m, ks.status);
      if (ns.value <= 0) return noData(m, "no stable requests in the same period");
      const auto e = judgeRateRatio(c, {ns.value, ks.value}, *spec.max_ratio, levels_);
      return decide(m, e, n.value,
                    numbers + " vs stable " + formatNumber(ks.value / ns.value) + ": ratio " +
                        formatNumber(e.estimate) + bounds(e, levels_),
                    "ratio > " + formatNumber(*spec.max_ratio),
                    "ratio <= " + formatNumber(*spec.max_ratio));
    }
    const auto e = judgeRate(c, spec.max, levels_, req_.explain);
    m.lower = e.lower;
    m.upper = e.upper;
    return decide(m, e, n.value, numbers + bounds(e, levels_), "> max " + formatNumber(spec.max),
                  "<= max " + formatNumber(spec.max), needMore(c, spec.max));
  }

  MetricResult latencyP99(const Count& n) {
    const auto& spec = req_.spec.latency_p99_ms;
    const bool relative = spec.max_ratio.has_value();
    MetricResult m = start(
        "latencyP99",
        atMost(spec.max, "ms") +
            (relative ? " (slow fraction canary/stable <= " + formatNumber(*spec.max_ratio) + ")"
                      : ""));
    if (!spec.query.empty())
      return pointValue(m, spec.query, n, std::nullopt, spec.max, "P99 latency", "ms");
    if (!render(m, default_queries::kLatencyBuckets, "canary")) return m;
    auto canary = q_.buckets(m.query);
    if (!canary) return error(m, canary.status());
    if (canary->empty()) {
      if (!spec.listed && n.status.isOk() && n.value > 0) {
        return skipped(m, "model_request_duration_seconds is not exported for the canary");
      }
      return noData(m, "no request-duration samples yet");
    }
    auto slow = slowCounts(m, *canary, spec.max);
    if (!slow) return m;
    m.sample_size = slow->total;
    if (slow->total <= 0) return noData(m, "no request-duration samples yet");
    const auto p99_value = p99(*canary);
    if (p99_value.value && std::isfinite(*p99_value.value)) m.value = *p99_value.value;
    const std::string p99 = p99_value.text;
    if (relative) {
      auto stable_q = q_.render(default_queries::kLatencyBuckets, "stable");
      if (!stable_q) return error(m, stable_q.status());
      auto stable = q_.buckets(*stable_q);
      if (!stable) return error(m, stable.status());
      SlowCounts s{};
      if (!stable->empty()) {
        auto st = slowCounts(m, *stable, spec.max);
        if (!st) return m;
        s = *st;
      }
      if (s.total <= 0) return noData(m, "no stable request-duration samples in the same period");
      const auto e = judgeRateRatio({slow->total, slow->above_hi}, {s.total, s.above_hi},
                                    *spec.max_ratio, levels_);
      return decide(
          m, e, slow->total,
          p99 + "; slower than " + slow->hi_text + ": canary " +
              percent(slow->above_hi / slow->total) + ", stable " + percent(s.above_hi / s.total) +
              " (ratio " + formatNumber(e.estimate) + ")" + bounds(e, levels_),
          "ratio > " + formatNumber(*spec.max_ratio), "ratio <= " + formatNumber(*spec.max_ratio));
    }
    // P99 <= maxMs  <=>  at most 1% of requests slower than maxMs. Harm is judged on requests
    // slower than the bound at or above maxMs (fewer), "within" on those slower than the bound
    // at or below it (more): exact when maxMs is a bucket bound, conservative both ways if not.
    const BinomialCounts above_hi{slow->total, slow->above_hi},
        above_lo{slow->total, slow->above_lo};
    const auto harm = judgeRate(above_hi, 0.01, levels_, false);
    const auto within = judgeRate(above_lo, 0.01, levels_, false);
    EvidenceResult e;
    e.estimate = within.estimate;
    if (harm.evidence == Evidence::kHarm) {
      e.evidence = Evidence::kHarm;
    } else if (within.evidence == Evidence::kWithin) {
      e.evidence = Evidence::kWithin;
    }
    if (req_.explain) {  // only the bound each side decides on (two bisections, not four)
      e.lower = binomialLowerBound(above_hi, levels_.harm);
      e.upper = binomialUpperBound(above_lo, levels_.within);
    }
    m.lower = e.lower;
    m.upper = e.upper;
    const std::string numbers =
        p99 + "; " + formatNumber(std::round(slow->above_hi)) + " of " +
        formatNumber(std::round(slow->total)) + " canary requests slower than " + slow->hi_text +
        (slow->lo_text != slow->hi_text ? " (" + formatNumber(std::round(slow->above_lo)) +
                                              " slower than " + slow->lo_text + ")"
                                        : "") +
        bounds(e, levels_) + " on the slow fraction";
    return decide(m, e, slow->total, numbers, "more than 1% slower than maxMs shown",
                  "at most 1% slower than maxMs shown",
                  needMore({slow->total, slow->above_lo}, 0.01));
  }

  MetricResult drift(const Count& n) {
    const auto& spec = req_.spec.drift;
    MetricResult m = start("drift", atMost(spec.max));
    if (!spec.query.empty()) return pointValue(m, spec.query, n, std::nullopt, spec.max, "PSI", "");
    auto stable_q = q_.render(default_queries::kPredictionBuckets, "stable");
    if (!render(m, default_queries::kPredictionBuckets, "canary")) return m;
    if (!stable_q) return error(m, stable_q.status());
    auto canary = q_.buckets(m.query);
    if (!canary) return error(m, canary.status());
    auto stable = q_.buckets(*stable_q);
    if (!stable) return error(m, stable.status());
    if (canary->empty() && stable->empty() && !spec.listed) {
      return skipped(m, "model_prediction is not exported for either role");
    }
    for (const auto* side : {&*canary, &*stable}) {
      if (!side->empty() && total(*side) <= 0 &&
          std::none_of(side->begin(), side->end(),
                       [](const auto& b) { return std::isinf(b.le); })) {
        return error(m, invalidArgument("prediction histogram has no +Inf bucket"));
      }
    }
    if (total(*canary) <= 0 || total(*stable) <= 0) {
      return noData(m, std::string("no predictions yet on the ") +
                           (total(*canary) <= 0 ? "canary" : "stable") + " side");
    }
    auto aligned = populationStabilityIndex(*stable, *canary);
    if (!aligned) return error(m, aligned.status());
    const auto psi = judgePsi(aligned->expected_bins, aligned->actual_bins, spec.max, levels_);
    m.sample_size = aligned->actual_total;
    m.value = psi.result.estimate;
    m.lower = psi.result.lower;
    m.upper = psi.result.upper;
    const std::string numbers =
        "PSI " + formatNumber(psi.result.estimate) + " (plug-in " + formatNumber(psi.psi) +
        " less small-sample bias " + formatNumber(psi.bias) + "; predictions canary " +
        formatNumber(aligned->actual_total) + ", stable " + formatNumber(aligned->expected_total) +
        ", " + std::to_string(aligned->bins) + " bins)" + bounds(psi.result, levels_) +
        (psi.result.note.empty() ? "" : "; " + psi.result.note);
    return decide(m, psi.result, std::min(aligned->actual_total, aligned->expected_total), numbers,
                  "> max " + formatNumber(spec.max), "<= max " + formatNumber(spec.max));
  }

  MetricResult maeDegradation(const Count& n) {
    const auto& spec = req_.spec.mae_degradation;
    MetricResult m = start("maeDegradation", atMost(spec.max));
    if (!spec.query.empty()) {
      return pointValue(m, spec.query, n, std::nullopt, spec.max, "MAE degradation", "");
    }
    auto count_q = q_.render(default_queries::kAbsoluteErrorCount, "canary");
    auto sq_q = q_.render(default_queries::kAbsoluteErrorSquaredSum, "canary");
    if (!render(m, default_queries::kAbsoluteErrorSum, "canary")) return m;
    if (!count_q) return error(m, count_q.status());
    if (!sq_q) return error(m, sq_q.status());
    auto counts = q_.byRole(*count_q);
    if (!counts) return error(m, counts.status());
    if (!counts->canary && !counts->stable && !spec.listed) {
      return skipped(m, "model_absolute_error_count is not exported for either role");
    }
    auto sums = q_.byRole(m.query);
    if (!sums) return error(m, sums.status());
    auto squares = q_.byRole(*sq_q);
    if (!squares) return error(m, squares.status());
    const double cc = counts->canary.value_or(0), sc = counts->stable.value_or(0);
    m.sample_size = cc;
    if (cc <= 0 || sc <= 0 || !sums->canary || !sums->stable) {
      return noData(
          m, "labelled samples: canary " + formatNumber(cc) + ", stable " + formatNumber(sc));
    }
    // increase() never goes below 0; a negative sum would be a broken exporter.
    SampleMoments canary{cc, std::max(0.0, *sums->canary), squares->canary};
    SampleMoments stable{sc, std::max(0.0, *sums->stable), squares->stable};
    if (!squares->canary || !squares->stable) canary.sum_sq = stable.sum_sq = std::nullopt;
    const std::string numbers = "MAE canary " + formatNumber(canary.mean()) + " (" +
                                formatNumber(cc) + " samples), stable " +
                                formatNumber(stable.mean()) + " (" + formatNumber(sc) + ")";
    if (stable.sum <= 0 && sc < req_.spec.min_sample_size) {
      return finish(m, Verdict::kInconclusive,
                    numbers + ": stable MAE is 0 on fewer than minSampleSize " +
                        std::to_string(req_.spec.min_sample_size) + " samples; more data needed");
    }
    const auto e = judgeMeanRatio(canary, stable, 1.0 + spec.max, levels_);
    if (std::isfinite(e.estimate)) m.value = e.estimate - 1.0;
    if (e.lower) m.lower = *e.lower - 1.0;
    if (e.upper) m.upper = *e.upper - 1.0;
    return decide(m, e, std::min(cc, sc),
                  numbers + ": degradation " +
                      (m.value ? formatNumber(*m.value) : std::string("+Inf")) +
                      bounds(e, levels_, 1.0, -1.0) + (e.note.empty() ? "" : "; " + e.note),
                  "> max " + formatNumber(spec.max), "<= max " + formatNumber(spec.max));
  }

  MetricResult custom(const CustomMetric& c, const Count& n) {
    std::string threshold;
    if (c.min) threshold = ">= " + formatNumber(*c.min);
    if (c.max) threshold += (threshold.empty() ? "" : ", ") + atMost(*c.max);
    MetricResult m = start(c.name, threshold);
    return pointValue(m, c.query, n, c.min, c.max, c.name, "");
  }

 private:
  struct SlowCounts {
    double total = 0;     // observations (the +Inf bucket)
    double above_hi = 0;  // slower than the smallest bound >= maxMs
    double above_lo = 0;  // slower than the largest bound <= maxMs
    std::string hi_text, lo_text;
  };

  static double total(const std::vector<CumulativeBucket>& b) {
    double t = 0;
    for (const auto& x : b)
      if (std::isinf(x.le)) t += x.count;
    return t;
  }

  // Counts of requests slower than the bucket bounds around maxMs; an Error (invalid spec) in m
  // when the histogram cannot judge maxMs.
  std::optional<SlowCounts> slowCounts(MetricResult& m, std::vector<CumulativeBucket> b,
                                       double max_ms) {
    std::sort(b.begin(), b.end(), [](const auto& x, const auto& y) { return x.le < y.le; });
    if (b.empty() || !std::isinf(b.back().le)) {
      error(m, invalidArgument("the request-duration histogram has no +Inf bucket"));
      return std::nullopt;
    }
    const double max_s = max_ms / 1000.0;
    const double eps = 1e-9 * std::max(1.0, max_s);
    const CumulativeBucket* hi = nullptr;
    const CumulativeBucket* lo = nullptr;
    for (const auto& x : b) {
      if (std::isinf(x.le)) continue;
      if (!hi && x.le >= max_s - eps) hi = &x;
      if (x.le <= max_s + eps) lo = &x;
    }
    const double top_ms = b.size() >= 2 ? b[b.size() - 2].le * 1000 : 0;
    if (!hi) {
      finish(m, Verdict::kError,
             std::string(kInvalidSpecPrefix) + "latencyP99.maxMs " + formatNumber(max_ms) +
                 " is at or above the top finite bucket (" + formatNumber(top_ms) +
                 "ms) of model_request_duration_seconds: the histogram cannot show a P99 above "
                 "it; lower maxMs or add buckets");
      return std::nullopt;
    }
    if (!lo) {
      finish(m, Verdict::kError,
             std::string(kInvalidSpecPrefix) + "latencyP99.maxMs " + formatNumber(max_ms) +
                 " is below the lowest bucket (" + formatNumber(b.front().le * 1000) +
                 "ms) of model_request_duration_seconds");
      return std::nullopt;
    }
    SlowCounts s;
    s.total = std::max(0.0, b.back().count);
    s.above_hi = std::clamp(s.total - hi->count, 0.0, s.total);
    s.above_lo = std::clamp(s.total - lo->count, 0.0, s.total);
    s.hi_text = formatNumber(hi->le * 1000) + "ms";
    s.lo_text = formatNumber(lo->le * 1000) + "ms";
    return s;
  }

  // P99 for display, interpolated inside its bucket as histogram_quantile does (ms).
  struct P99 {
    std::optional<double> value;
    std::string text;
  };
  static P99 p99(std::vector<CumulativeBucket> b) {
    std::sort(b.begin(), b.end(), [](const auto& x, const auto& y) { return x.le < y.le; });
    const double n = b.empty() ? 0 : b.back().count;
    if (n <= 0) return {std::nullopt, "P99 unknown"};
    const double rank = 0.99 * n;
    double prev_le = 0, prev_count = 0;
    for (const auto& x : b) {
      if (x.count >= rank) {
        if (std::isinf(x.le)) {
          return {prev_le * 1000, "P99 above " + formatNumber(prev_le * 1000) + "ms (top bucket)"};
        }
        const double width = x.count - prev_count;
        const double v =
            width > 0 ? prev_le + (x.le - prev_le) * (rank - prev_count) / width : x.le;
        return {v * 1000, "P99 " + formatNumber(v * 1000) + "ms"};
      }
      prev_le = x.le;
      prev_count = x.count;
    }
    return {std::nullopt, "P99 unknown"};
  }

  std::string needMore(BinomialCounts c, double max) const {
    if (!req_.explain) return "";
    auto more = binomialTrialsNeeded(c, max, levels_.within);
    if (!more) return "; the observed rate is not below the maximum, so only more data can tell";
    if (*more <= 0) return "";
    return "; about " + formatNumber(*more) +
           " more requests at the observed rate would show it within";
  }

  MetricResult decide(MetricResult& m, const EvidenceResult& e, double n,
                      const std::string& numbers, const std::string& harm_text,
                      const std::string& within_text, const std::string& need = "") {
    if (e.evidence == Evidence::kHarm) return finish(m, Verdict::kFail, numbers + ": " + harm_text);
    const int min_n = req_.spec.min_sample_size;
    if (e.evidence == Evidence::kWithin && n >= min_n) {
      return finish(m, Verdict::kPass, numbers + ": " + within_text);
    }
    if (e.evidence == Evidence::kWithin) {
      return finish(m, Verdict::kInconclusive,
                    numbers + ": " + within_text + " but only " + formatNumber(n) +
                        " samples < minSampleSize " + std::to_string(min_n));
    }
    return finish(m, Verdict::kInconclusive, numbers + ": no evidence either way yet" + need);
  }

  Count count(std::string_view text, const std::string& role) {
    auto q = q_.render(text, role);
    if (!q) return {q.status(), 0, false};
    auto v = q_.number(*q);
    if (!v) return {v.status().withContext("query " + *q), 0, false};
    // No series at all means nothing counted yet; NaN cannot be a count.
    const bool exists = v->has_value() && !std::isnan(**v);
    return {Status(), exists ? std::max(0.0, **v) : 0, exists};
  }

  MetricResult start(std::string name, std::string threshold) {
    MetricResult m;
    m.name = std::move(name);
    m.threshold = std::move(threshold);
    return m;
  }

  bool render(MetricResult& m, std::string_view text, const std::string& role) {
    auto q = q_.render(text, role);
    if (!q) {
      error(m, q.status());
      return false;
    }
    m.query = *q;
    return true;
  }

  // An override or a custom metric: the query's value compared with the threshold. No
  // evidence model, so it needs minSampleSize canary requests either way.
  MetricResult pointValue(MetricResult& m, std::string_view text, const Count& n,
                          std::optional<double> min, std::optional<double> max,
                          const std::string& what, const std::string& unit) {
    if (!render(m, text, "canary")) return m;
    if (!n.status.isOk()) return error(m, n.status);
    m.sample_size = n.value;
    auto v = q_.number(m.query);
    if (!v) return error(m, v.status());
    if (*v && std::isfinite(**v)) m.value = **v;  // status JSON cannot hold +-Inf
    if (n.value < req_.spec.min_sample_size) {
      const std::string why = "canary requests " + formatNumber(n.value) + " < minSampleSize " +
                              std::to_string(req_.spec.min_sample_size) +
                              " (a point value needs them)";
      // Fewer samples than minSampleSize is not "no data": onNoData applies only to none at
      // all (docs/analysis.md), or onNoData: Fail rolled back every canary at its first check.
      if (n.value <= 0) return noData(m, why);
      return finish(m, Verdict::kInconclusive, why);
    }
    if (!*v) return noData(m, "the query returned an empty result");
    if (std::isnan(**v)) return noData(m, "the query returned NaN");
    const std::string text_v = what + " " + formatNumber(**v) + unit;
    if (min && **v < *min)
      return finish(m, Verdict::kFail, text_v + " < min " + formatNumber(*min));
    if (max && **v > *max)
      return finish(m, Verdict::kFail, text_v + " > max " + formatNumber(*max));
    return finish(m, Verdict::kPass, text_v + " within " + m.threshold);
  }

  MetricResult noData(MetricResult& m, const std::string& why) {
    const bool fail = req_.spec.on_no_data == NoDataPolicy::kFail;
    return finish(m, fail ? Verdict::kFail : Verdict::kInconclusive,
                  "no data: " + why + (fail ? " (onNoData: Fail)" : ""));
  }

  MetricResult skipped(MetricResult& m, const std::string& why) {
    return finish(m, Verdict::kSkipped,
                  "not judged: " + why + "; list it in spec.analysis.metrics to require it");
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
  CheckQueries q_;
  Levels levels_;
};

}  // namespace

std::string summarize(const std::vector<MetricResult>& metrics) {
  const MetricResult* w = nullptr;
  int judged = 0;
  for (const auto& m : metrics) {
    if (m.verdict == Verdict::kSkipped) continue;
    ++judged;
    if (!w || static_cast<int>(m.verdict) > static_cast<int>(w->verdict)) w = &m;
  }
  if (!w) return "no metrics to judge";
  if (w->verdict == Verdict::kPass) return "all " + std::to_string(judged) + " metrics passed";
  return w->name + ": " + w->message + " (" + verdictName(w->verdict) + ")";
}

AnalysisResult runAnalysis(const AnalysisRequest& request, PrometheusApi& api, const Clock& clock) {
  CheckRunner runner(request, api, clock.now());
  const auto& s = request.spec;
  const CheckRunner::Count n = runner.requests("canary");
  AnalysisResult result;
  if (s.error_rate.enabled) result.metrics.push_back(runner.errorRate(n));
  if (s.latency_p99_ms.enabled) result.metrics.push_back(runner.latencyP99(n));
  if (s.drift.enabled) result.metrics.push_back(runner.drift(n));
  if (s.mae_degradation.enabled) result.metrics.push_back(runner.maeDegradation(n));
  for (const auto& c : s.custom)
    result.metrics.push_back(runner.custom(c, n));
  result.verdict = Verdict::kPass;
  bool judged = result.metrics.empty();
  for (const auto& m : result.metrics) {
    result.verdict = worst(result.verdict, m.verdict);
    judged = judged || m.verdict != Verdict::kSkipped;
  }
  // Every metric skipped (the model server exports none of them): nothing was judged, so
  // nothing may be promoted on it.
  if (!judged) result.verdict = Verdict::kInconclusive;
  result.message = summarize(result.metrics);
  result.time = clock.now();
  result.canary_revision = request.canary_revision;
  result.step = request.step;
  return result;
}

}  // namespace mr::analysis
