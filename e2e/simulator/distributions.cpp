#include "e2e/simulator/distributions.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mr::sim {
namespace {

double normalCdf(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

// Partial expectation E[X; X <= x] of a lognormal.
double lognormalPartialMean(double x, double mu, double sigma) {
  if (x <= 0) return 0.0;
  if (sigma == 0) return std::exp(mu) <= x ? std::exp(mu) : 0.0;
  if (std::isinf(x)) return std::exp(mu + sigma * sigma / 2);
  return std::exp(mu + sigma * sigma / 2) * normalCdf((std::log(x) - mu - sigma * sigma) / sigma);
}

// Turns cumulative probabilities and partial means at each bound into per-bucket values.
// When a bucket has no mass its mean is its midpoint, which is never used for a sum.
BucketedDistribution fromCumulative(const std::vector<double>& bounds,
                                    const std::vector<double>& cdf,
                                    const std::vector<double>& partial_mean, double total_mean) {
  BucketedDistribution d;
  double prev_p = 0, prev_m = 0, prev_bound = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    const double p = i < bounds.size() ? cdf[i] : 1.0;
    const double m = i < bounds.size() ? partial_mean[i] : total_mean;
    const double mass = std::max(0.0, p - prev_p);
    d.probability.push_back(mass);
    const double hi = i < bounds.size() ? bounds[i] : prev_bound * 2;
    d.mean.push_back(mass > 1e-15 ? (m - prev_m) / mass : (prev_bound + hi) / 2);
    prev_p = std::max(prev_p, p);
    prev_m = std::max(prev_m, m);
    prev_bound = hi;
  }
  return d;
}

}  // namespace

const std::vector<double>& durationBounds() {
  // Dense around 50-300 ms where latency thresholds usually sit, so histogram_quantile is close.
  static const std::vector<double> bounds{0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1,
                                          0.15,  0.2,  0.3,  0.5,  1.0,  2.5};
  return bounds;
}

const std::vector<double>& predictionBounds() {
  static const std::vector<double> bounds{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  return bounds;
}

double BucketedDistribution::expectation() const {
  double e = 0;
  for (size_t i = 0; i < probability.size(); ++i)
    e += probability[i] * mean[i];
  return e;
}

double beta25Cdf(double x) {
  if (x <= 0) return 0.0;
  if (x >= 1) return 1.0;
  // P(Binomial(6, x) >= 2) for Beta(2, 5).
  const double q = 1 - x;
  return 1 - std::pow(q, 6) - 6 * x * std::pow(q, 5);
}

double lognormalCdf(double x, double mu, double sigma) {
  if (x <= 0) return 0.0;
  if (sigma == 0) return std::log(x) >= mu ? 1.0 : 0.0;
  return normalCdf((std::log(x) - mu) / sigma);
}

CompiledBehavior compileBehavior(const ModelBehavior& behavior) {
  CompiledBehavior c{behavior, {}, {}};
  const double mu = behavior.latencyMu();
  const double sigma = behavior.latencySigma();
  std::vector<double> cdf, partial;
  for (double b : durationBounds()) {
    cdf.push_back(lognormalCdf(b, mu, sigma));
    partial.push_back(lognormalPartialMean(b, mu, sigma));
  }
  c.duration =
      fromCumulative(durationBounds(), cdf, partial,
                     lognormalPartialMean(std::numeric_limits<double>::infinity(), mu, sigma));

  // Score = clamp(X + shift, 0, 1) with X ~ Beta(2,5). Partial means by numeric integration of
  // the Beta(2,5) density 30 x (1-x)^4 on a fine grid; the clamped tails add point masses.
  const double shift = behavior.prediction_shift;
  constexpr int kSteps = 4000;
  std::vector<double> pcdf, ppartial;
  double total = 0;
  {
    // Mass clamped to 0 contributes 0 to any partial mean.
    double acc = 0;
    size_t next = 0;
    const auto& bounds = predictionBounds();
    for (int i = 0; i < kSteps; ++i) {
      const double x = (i + 0.5) / kSteps;
      const double density = 30 * x * std::pow(1 - x, 4) / kSteps;
      const double score = std::clamp(x + shift, 0.0, 1.0);
      // Scores at exactly 1.0 fall in the le=1.0 bucket; accumulate by the bound they fall under.
      while (next < bounds.size() - 1 && score > bounds[next]) {
        ppartial.push_back(acc);
        ++next;
      }
      acc += density * score;
    }
    while (ppartial.size() < bounds.size())
      ppartial.push_back(acc);
    total = acc;
    for (double b : bounds)
      pcdf.push_back(b >= 1.0 ? 1.0 : beta25Cdf(b - shift));
  }
  c.prediction = fromCumulative(predictionBounds(), pcdf, ppartial, total);
  return c;
}

}  // namespace mr::sim
