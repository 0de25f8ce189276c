// RoleBehaviour: how one version of a model server behaves, per request, in the analysis
// simulation: its error rate, its latency distribution (lognormal given median and P99), its
// prediction-score distribution (probabilities of the bins (0,0.1], ..., (0.9,1.0]) and its
// absolute error on labelled requests (three error models). Also the per-role moments the data
// plane needs to draw sums of many absolute errors at once.
// Thread-safety: plain value types and pure functions.
#pragma once

#include <array>
#include <cstddef>

namespace mr::analysis_sim {

// Bounds (seconds) of model_request_duration_seconds, the +Inf bucket implied.
inline constexpr std::array<double, 11> kLatencyBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                          0.5,   1,    2.5,   5,    10};
inline constexpr std::size_t kLatencyBuckets = kLatencyBounds.size() + 1;  // with +Inf
// model_prediction: le 0.1 .. 1.0 (+Inf holds the same count as 1.0: scores are in [0, 1]).
inline constexpr std::size_t kPredictionBins = 10;

enum class AbsErrorKind {
  kHalfNormal,  // |e|, e ~ Normal(0, scale): regression errors
  kZeroOne,     // 0/1 loss, P(1) = scale: a classifier's misclassification
  kBeta,        // |y - p| of a classifier, distributed Beta(shape_a, shape_b)
};

struct AbsErrorModel {
  AbsErrorKind kind = AbsErrorKind::kHalfNormal;
  double scale = 1.0;                   // half-normal sigma, or 0/1 error probability
  double shape_a = 1.0, shape_b = 4.0;  // Beta only
  double mean() const;
  // Raw moments E[X^k], k = 1..4.
  std::array<double, 4> moments() const;
};

struct RoleBehaviour {
  double error_rate = 0.0005;
  double latency_median_s = 0.02;
  double latency_p99_s = 0.05;
  std::array<double, kPredictionBins> prediction_bins{};  // sums to 1
  AbsErrorModel abs_error;
  double label_fraction = 0.2;  // requests that later get a label (absolute error observed)

  // P(duration in bucket i) for the buckets of kLatencyBounds plus +Inf (sums to 1).
  std::array<double, kLatencyBuckets> latencyBucketProbabilities() const;
};

// A default stable prediction-score distribution (a skewed, classifier-like shape).
std::array<double, kPredictionBins> basePredictionBins();
// The exponential tilt q_i ~ p_i exp(theta * i) of `p` whose PSI against p is `target`
// (theta found by bisection; target 0 returns p).
std::array<double, kPredictionBins> tiltToPsi(const std::array<double, kPredictionBins>& p,
                                              double target);
// PSI(expected p, actual q) = sum (q - p) ln(q / p).
double psi(const std::array<double, kPredictionBins>& p,
           const std::array<double, kPredictionBins>& q);

}  // namespace mr::analysis_sim
