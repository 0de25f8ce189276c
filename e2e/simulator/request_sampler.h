// RequestSampler: draws what n requests to one model version produced during a tick, in
// aggregate: codes, duration and prediction bucket counts, labelled count and absolute-error sum.
// Large n use binomial/multinomial draws; small n (the common case at 100 rps and 100 ms ticks)
// use one uniform per request and bucket, which is cheaper than setting up binomials. Histogram
// sums come from bucket counts times conditional bucket means.
// Thread-safety: not thread-safe (owns an RNG); one per simulation loop.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "e2e/simulator/distributions.h"

namespace mr::sim {

struct RoleTick {
  uint64_t ok = 0;                        // code 200
  uint64_t errors = 0;                    // code 500 (the model failed)
  uint64_t unavailable = 0;               // code 503 (no ready replica behind the route)
  std::vector<uint64_t> duration_counts;  // per bucket, not cumulative; size bounds+1
  double duration_sum = 0;
  std::vector<uint64_t> prediction_counts;  // per bucket, not cumulative; size bounds+1
  double prediction_sum = 0;
  uint64_t labelled = 0;
  double abs_error_sum = 0;
  double abs_error_squared_sum = 0;  // sum of squared absolute errors (MAE's spread)
};

class RequestSampler {
 public:
  explicit RequestSampler(uint64_t seed) : rng_(seed) {}

  // `n` requests answered by a ready version with behaviour `c`.
  RoleTick serve(const CompiledBehavior& c, uint64_t n);
  // Splits `n` requests: returns how many go to the canary with probability `canary_fraction`.
  uint64_t split(uint64_t n, double canary_fraction) { return binomial(n, canary_fraction); }

  uint64_t binomial(uint64_t n, double p);
  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

 private:
  // Adds n draws from `d` into `counts` (size = d.probability.size()).
  void multinomial(const BucketedDistribution& d, uint64_t n, std::vector<uint64_t>& counts);

  std::mt19937_64 rng_;
};

}  // namespace mr::sim
