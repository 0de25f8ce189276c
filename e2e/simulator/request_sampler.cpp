#include "e2e/simulator/request_sampler.h"

#include <algorithm>

namespace mr::sim {
namespace {
constexpr uint64_t kSmallN = 48;
}  // namespace

uint64_t RequestSampler::binomial(uint64_t n, double p) {
  if (n == 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n <= kSmallN) {
    uint64_t k = 0;
    for (uint64_t i = 0; i < n; ++i)
      k += uniform() < p ? 1 : 0;
    return k;
  }
  return std::binomial_distribution<uint64_t>(n, p)(rng_);
}

void RequestSampler::multinomial(const BucketedDistribution& d, uint64_t n,
                                 std::vector<uint64_t>& counts) {
  const size_t buckets = d.probability.size();
  counts.assign(buckets, 0);
  if (n <= kSmallN) {
    for (uint64_t i = 0; i < n; ++i) {
      double u = uniform();
      size_t b = 0;
      while (b + 1 < buckets && u >= d.probability[b])
        u -= d.probability[b++];
      ++counts[b];
    }
    return;
  }
  // Conditional binomials: bucket i gets Binomial(remaining, p_i / remaining mass).
  uint64_t remaining = n;
  double mass = 1.0;
  for (size_t b = 0; b + 1 < buckets && remaining > 0; ++b) {
    const double p = mass > 0 ? std::clamp(d.probability[b] / mass, 0.0, 1.0) : 0.0;
    counts[b] = binomial(remaining, p);
    remaining -= counts[b];
    mass -= d.probability[b];
  }
  counts[buckets - 1] += remaining;
}

RoleTick RequestSampler::serve(const CompiledBehavior& c, uint64_t n) {
  RoleTick t;
  t.errors = binomial(n, c.behavior.error_rate);
  t.ok = n - t.errors;
  // Failed requests take time too; only successful ones carry a prediction.
  multinomial(c.duration, n, t.duration_counts);
  for (size_t b = 0; b < t.duration_counts.size(); ++b) {
    t.duration_sum += static_cast<double>(t.duration_counts[b]) * c.duration.mean[b];
  }
  multinomial(c.prediction, t.ok, t.prediction_counts);
  for (size_t b = 0; b < t.prediction_counts.size(); ++b) {
    t.prediction_sum += static_cast<double>(t.prediction_counts[b]) * c.prediction.mean[b];
  }
  t.labelled = binomial(t.ok, c.behavior.label_rate);
  if (t.labelled > 0 && c.behavior.abs_error > 0) {
    // Sum of `labelled` exponential errors with mean abs_error.
    t.abs_error_sum = std::gamma_distribution<double>(static_cast<double>(t.labelled),
                                                      c.behavior.abs_error)(rng_);
    // Given their sum S, n exponential errors are S times a flat Dirichlet vector, whose sum
    // of squares has mean 2 / (n + 1): the squared sum's conditional expectation.
    t.abs_error_squared_sum =
        t.abs_error_sum * t.abs_error_sum * 2.0 / (static_cast<double>(t.labelled) + 1.0);
  }
  return t;
}

}  // namespace mr::sim
