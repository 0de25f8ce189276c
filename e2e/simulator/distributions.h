// Bucketed distributions of one model version, precomputed once per behaviour so that a tick
// only draws bucket counts. Buckets are those of the exported histograms:
//   model_request_duration_seconds: kDurationBounds (seconds) and +Inf
//   model_prediction:               0.1, 0.2, ..., 1.0 and +Inf
// Each bucket also carries the conditional mean of the distribution inside it, so a histogram's
// _sum follows from its bucket counts (exact in expectation).
// Thread-safety: value types and pure functions.
#pragma once

#include <vector>

#include "e2e/simulator/behavior.h"

namespace mr::sim {

const std::vector<double>& durationBounds();    // finite upper bounds, ascending
const std::vector<double>& predictionBounds();  // 0.1 .. 1.0

// A distribution over buckets: probability and conditional mean of each bucket. The last
// bucket is (last bound, +Inf).
struct BucketedDistribution {
  std::vector<double> probability;  // size bounds+1, sums to 1
  std::vector<double> mean;         // size bounds+1

  double expectation() const;
};

struct CompiledBehavior {
  ModelBehavior behavior;
  BucketedDistribution duration;    // seconds
  BucketedDistribution prediction;  // scores in [0, 1]
};

CompiledBehavior compileBehavior(const ModelBehavior& behavior);

// CDF of Beta(2,5) (the unshifted prediction-score distribution) at x.
double beta25Cdf(double x);
// CDF of the lognormal(mu, sigma) at x > 0; sigma == 0 is a point mass at exp(mu).
double lognormalCdf(double x, double mu, double sigma);

}  // namespace mr::sim
