#include "e2e/simulator/metrics_store.h"

#include <prometheus/text_serializer.h>

#include <limits>

#include "e2e/simulator/distributions.h"

namespace mr::sim {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

std::vector<ClientMetric::Label> labelsOf(const SeriesKey& k) {
  return {{"namespace", k.ns}, {"rollout", k.rollout}, {"role", k.role}, {"revision", k.revision}};
}

void addCounts(std::vector<uint64_t>& into, const std::vector<uint64_t>& from) {
  if (into.size() < from.size()) into.resize(from.size(), 0);
  for (size_t i = 0; i < from.size(); ++i)
    into[i] += from[i];
}

ClientMetric histogram(const SeriesKey& key, const std::vector<double>& bounds,
                       const std::vector<uint64_t>& counts, double sum) {
  ClientMetric m;
  m.label = labelsOf(key);
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    m.histogram.bucket.push_back(
        {cumulative, i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity()});
  }
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = sum;
  return m;
}

}  // namespace

void MetricsStore::add(const SeriesKey& key, const RoleTick& tick) {
  std::lock_guard lock(mu_);
  Series& s = series_[key];
  // Codes appear once seen so that an error-free version exports no 500 series, like a server.
  s.requests_by_code["200"] += tick.ok;
  if (tick.errors > 0) s.requests_by_code["500"] += tick.errors;
  if (tick.unavailable > 0) s.requests_by_code["503"] += tick.unavailable;
  addCounts(s.duration_counts, tick.duration_counts);
  s.duration_sum += tick.duration_sum;
  addCounts(s.prediction_counts, tick.prediction_counts);
  s.prediction_sum += tick.prediction_sum;
  s.labelled += tick.labelled;
  s.abs_error_sum += tick.abs_error_sum;
  s.abs_error_squared_sum += tick.abs_error_squared_sum;
}

void MetricsStore::removeRollout(const std::string& ns, const std::string& rollout) {
  std::lock_guard lock(mu_);
  for (auto it = series_.begin(); it != series_.end();) {
    it = (it->first.ns == ns && it->first.rollout == rollout) ? series_.erase(it) : std::next(it);
  }
}

uint64_t MetricsStore::requests(const SeriesKey& key, const std::string& code) const {
  std::lock_guard lock(mu_);
  const auto it = series_.find(key);
  if (it == series_.end()) return 0;
  const auto c = it->second.requests_by_code.find(code);
  return c == it->second.requests_by_code.end() ? 0 : c->second;
}

size_t MetricsStore::seriesCount() const {
  std::lock_guard lock(mu_);
  return series_.size();
}

std::vector<MetricFamily> MetricsStore::Collect() const {
  MetricFamily requests{"model_requests_total",
                        "Requests served by the simulated model server.",
                        MetricType::Counter,
                        {}};
  MetricFamily duration{
      "model_request_duration_seconds", "Request latency in seconds.", MetricType::Histogram, {}};
  MetricFamily prediction{
      "model_prediction", "Prediction scores in [0, 1].", MetricType::Histogram, {}};
  MetricFamily abs_error{"model_absolute_error",
                         "Absolute error of predictions that received a ground-truth label.",
                         MetricType::Summary,
                         {}};
  MetricFamily abs_error_sq{"model_absolute_error_squared_sum",
                            "Sum of squared absolute errors of labelled predictions.",
                            MetricType::Counter,
                            {}};
  std::lock_guard lock(mu_);
  for (const auto& [key, s] : series_) {
    for (const auto& [code, n] : s.requests_by_code) {
      ClientMetric m;
      m.label = labelsOf(key);
      m.label.push_back({"code", code});
      m.counter.value = static_cast<double>(n);
      requests.metric.push_back(std::move(m));
    }
    duration.metric.push_back(histogram(key, durationBounds(), s.duration_counts, s.duration_sum));
    prediction.metric.push_back(
        histogram(key, predictionBounds(), s.prediction_counts, s.prediction_sum));
    ClientMetric m;
    m.label = labelsOf(key);
    m.summary.sample_count = s.labelled;
    m.summary.sample_sum = s.abs_error_sum;
    abs_error.metric.push_back(std::move(m));
    ClientMetric sq;
    sq.label = labelsOf(key);
    sq.counter.value = s.abs_error_squared_sum;
    abs_error_sq.metric.push_back(std::move(sq));
  }
  return {std::move(requests), std::move(duration), std::move(prediction), std::move(abs_error),
          std::move(abs_error_sq)};
}

std::string renderText(const prometheus::Collectable& store) {
  return prometheus::TextSerializer().Serialize(store.Collect());
}

}  // namespace mr::sim
