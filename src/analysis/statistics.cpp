#include "analysis/statistics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

namespace mr::analysis {

Result<double> parseLe(std::string_view text) {
  if (text == "+Inf" || text == "Inf" || text == "inf" || text == "+inf") {
    return std::numeric_limits<double>::infinity();
  }
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || std::isnan(v)) {
    return invalidArgument("bucket bound le=\"" + std::string(text) + "\" is not a number");
  }
  return v;
}

namespace {

// Cumulative count at each distinct le (duplicates summed), ascending.
std::map<double, double> cumulativeByLe(const std::vector<CumulativeBucket>& buckets) {
  std::map<double, double> out;
  for (const auto& b : buckets)
    out[b.le] += b.count;
  return out;
}

}  // namespace

std::vector<double> binCounts(std::vector<CumulativeBucket> buckets,
                              const std::vector<double>& bounds) {
  const auto cumulative = cumulativeByLe(buckets);
  std::vector<double> bins;
  bins.reserve(bounds.size());
  double previous = 0;
  for (double bound : bounds) {
    auto it = cumulative.find(bound);
    const double c = it == cumulative.end() ? previous : it->second;
    bins.push_back(std::max(0.0, c - previous));
    previous = std::max(previous, c);
  }
  return bins;
}

Result<PsiResult> populationStabilityIndex(const std::vector<CumulativeBucket>& expected,
                                           const std::vector<CumulativeBucket>& actual,
                                           double smoothing) {
  const auto e = cumulativeByLe(expected);
  const auto a = cumulativeByLe(actual);
  const double inf = std::numeric_limits<double>::infinity();
  if (!e.count(inf)) return invalidArgument("stable histogram has no +Inf bucket");
  if (!a.count(inf)) return invalidArgument("canary histogram has no +Inf bucket");
  std::vector<double> bounds;
  for (const auto& [le, count] : e) {
    if (a.count(le)) bounds.push_back(le);
  }
  if (bounds.size() < 2) {
    return invalidArgument("canary and stable histograms share no bucket bound besides +Inf");
  }
  PsiResult r;
  r.bins = bounds.size();
  r.expected_bins = binCounts(expected, bounds);
  r.actual_bins = binCounts(actual, bounds);
  for (size_t i = 0; i < bounds.size(); ++i) {
    r.expected_total += r.expected_bins[i];
    r.actual_total += r.actual_bins[i];
  }
  if (r.expected_total <= 0) return invalidArgument("stable histogram is empty");
  if (r.actual_total <= 0) return invalidArgument("canary histogram is empty");
  r.psi = psiOfBins(r.expected_bins, r.actual_bins, smoothing);
  return r;
}

double psiOfBins(const std::vector<double>& expected, const std::vector<double>& actual,
                 double smoothing) {
  double te = 0, ta = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    te += expected[i];
    ta += actual[i];
  }
  double psi = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    double pe = expected[i] / te;
    double pa = actual[i] / ta;
    if (pe == 0) pe = smoothing;
    if (pa == 0) pa = smoothing;
    psi += (pa - pe) * std::log(pa / pe);
  }
  return psi;
}

std::string formatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace mr::analysis
