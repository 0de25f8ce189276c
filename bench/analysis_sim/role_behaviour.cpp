#include "bench/analysis_sim/role_behaviour.h"

#include <cmath>

namespace mr::analysis_sim {

namespace {

constexpr double kZ99 = 2.3263478740408408;  // standard normal 99th percentile
constexpr double kSqrt2OverPi = 0.7978845608028654;

double normalCdf(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

}  // namespace

double AbsErrorModel::mean() const {
  return moments()[0];
}

std::array<double, 4> AbsErrorModel::moments() const {
  switch (kind) {
    case AbsErrorKind::kHalfNormal: {
      const double s = scale;
      return {s * kSqrt2OverPi, s * s, 2 * s * s * s * kSqrt2OverPi, 3 * s * s * s * s};
    }
    case AbsErrorKind::kZeroOne:
      return {scale, scale, scale, scale};
    case AbsErrorKind::kBeta: {
      // E[X^k] = prod_{r<k} (a + r) / (a + b + r)
      std::array<double, 4> m{};
      double v = 1;
      for (int r = 0; r < 4; ++r) {
        v *= (shape_a + r) / (shape_a + shape_b + r);
        m[r] = v;
      }
      return m;
    }
  }
  return {};
}

std::array<double, kLatencyBuckets> RoleBehaviour::latencyBucketProbabilities() const {
  const double mu = std::log(latency_median_s);
  const double sigma = std::max(1e-9, (std::log(latency_p99_s) - mu) / kZ99);
  std::array<double, kLatencyBuckets> p{};
  double prev = 0;
  for (std::size_t i = 0; i < kLatencyBounds.size(); ++i) {
    const double c = normalCdf((std::log(kLatencyBounds[i]) - mu) / sigma);
    p[i] = std::max(0.0, c - prev);
    prev = c;
  }
  p[kLatencyBounds.size()] = std::max(0.0, 1.0 - prev);
  return p;
}

std::array<double, kPredictionBins> basePredictionBins() {
  return {0.30, 0.18, 0.12, 0.09, 0.07, 0.06, 0.05, 0.05, 0.04, 0.04};
}

double psi(const std::array<double, kPredictionBins>& p,
           const std::array<double, kPredictionBins>& q) {
  double s = 0;
  for (std::size_t i = 0; i < kPredictionBins; ++i) {
    if (p[i] > 0 && q[i] > 0) s += (q[i] - p[i]) * std::log(q[i] / p[i]);
  }
  return s;
}

std::array<double, kPredictionBins> tiltToPsi(const std::array<double, kPredictionBins>& p,
                                              double target) {
  auto tilt = [&](double theta) {
    std::array<double, kPredictionBins> q{};
    double z = 0;
    for (std::size_t i = 0; i < kPredictionBins; ++i) {
      q[i] = p[i] * std::exp(theta * static_cast<double>(i));
      z += q[i];
    }
    for (auto& x : q)
      x /= z;
    return q;
  };
  if (target <= 0) return p;
  double lo = 0, hi = 5;  // PSI grows with theta > 0
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    (psi(p, tilt(mid)) < target ? lo : hi) = mid;
  }
  return tilt(0.5 * (lo + hi));
}

}  // namespace mr::analysis_sim
