// Sampled distributions land near their parameters with a fixed seed.
#include "e2e/simulator/distributions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "e2e/simulator/request_sampler.h"

namespace mr::sim {
namespace {

// Prometheus' histogram_quantile: linear interpolation inside the bucket holding rank q*count.
double histogramQuantile(double q, const std::vector<double>& bounds,
                         const std::vector<uint64_t>& counts) {
  const double total = static_cast<double>(std::accumulate(counts.begin(), counts.end(), 0ULL));
  const double rank = q * total;
  double cumulative = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    const double prev = cumulative;
    cumulative += static_cast<double>(counts[i]);
    if (cumulative >= rank) {
      const double lo = i == 0 ? 0 : bounds[i - 1];
      return lo + (bounds[i] - lo) * (rank - prev) / static_cast<double>(counts[i]);
    }
  }
  return bounds.back();
}

// PSI with empty bins smoothed to 1e-4, as the controller computes drift.
double psi(const std::vector<uint64_t>& expected, const std::vector<uint64_t>& actual) {
  const double te = static_cast<double>(std::accumulate(expected.begin(), expected.end(), 0ULL));
  const double ta = static_cast<double>(std::accumulate(actual.begin(), actual.end(), 0ULL));
  double sum = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const double e = std::max(1e-4, static_cast<double>(expected[i]) / te);
    const double a = std::max(1e-4, static_cast<double>(actual[i]) / ta);
    sum += (a - e) * std::log(a / e);
  }
  return sum;
}

// Serves `total` requests in ticks of `per_tick` and sums the results.
RoleTick serveMany(RequestSampler& sampler, const CompiledBehavior& c, uint64_t total,
                   uint64_t per_tick) {
  RoleTick sum;
  sum.duration_counts.assign(c.duration.probability.size(), 0);
  sum.prediction_counts.assign(c.prediction.probability.size(), 0);
  for (uint64_t served = 0; served < total; served += per_tick) {
    RoleTick t = sampler.serve(c, per_tick);
    sum.ok += t.ok;
    sum.errors += t.errors;
    for (size_t i = 0; i < t.duration_counts.size(); ++i)
      sum.duration_counts[i] += t.duration_counts[i];
    for (size_t i = 0; i < t.prediction_counts.size(); ++i)
      sum.prediction_counts[i] += t.prediction_counts[i];
    sum.duration_sum += t.duration_sum;
    sum.prediction_sum += t.prediction_sum;
    sum.labelled += t.labelled;
    sum.abs_error_sum += t.abs_error_sum;
  }
  return sum;
}

TEST(DistributionsTest, BucketProbabilitiesSumToOne) {
  for (double shift : {-0.5, 0.0, 0.3, 0.9}) {
    ModelBehavior b;
    b.prediction_shift = shift;
    const CompiledBehavior c = compileBehavior(b);
    EXPECT_NEAR(std::accumulate(c.duration.probability.begin(), c.duration.probability.end(), 0.0),
                1.0, 1e-9);
    EXPECT_NEAR(
        std::accumulate(c.prediction.probability.begin(), c.prediction.probability.end(), 0.0), 1.0,
        1e-9);
    EXPECT_EQ(c.prediction.probability.back(), 0.0) << "scores never exceed 1.0";
  }
  EXPECT_NEAR(beta25Cdf(0.26445), 0.5, 1e-3);  // the median of Beta(2,5)
  EXPECT_NEAR(compileBehavior(ModelBehavior{}).prediction.expectation(), 2.0 / 7.0, 2e-3);
}

TEST(DistributionsTest, ErrorFractionNearParameterBothSamplingPaths) {
  ModelBehavior b;
  b.error_rate = 0.05;
  const CompiledBehavior c = compileBehavior(b);
  for (uint64_t per_tick : {5ULL, 10ULL, 1000ULL}) {  // per-request and binomial paths
    RequestSampler sampler(42);
    const RoleTick t = serveMany(sampler, c, 200000, per_tick);
    const double fraction = static_cast<double>(t.errors) / static_cast<double>(t.ok + t.errors);
    EXPECT_NEAR(fraction, 0.05, 0.003) << "per_tick=" << per_tick;
    EXPECT_EQ(t.ok + t.errors, 200000u);
  }
}

TEST(DistributionsTest, LatencyQuantilesFromHistogramNearParameters) {
  ModelBehavior b;
  b.latency_p50_ms = 40;
  b.latency_p99_ms = 180;
  const CompiledBehavior c = compileBehavior(b);
  RequestSampler sampler(7);
  const RoleTick t = serveMany(sampler, c, 200000, 100);
  const double p50 = histogramQuantile(0.5, durationBounds(), t.duration_counts);
  const double p99 = histogramQuantile(0.99, durationBounds(), t.duration_counts);
  // Linear interpolation inside buckets costs some accuracy; the buckets bound it.
  EXPECT_NEAR(p50, 0.040, 0.004);
  EXPECT_NEAR(p99, 0.180, 0.015);
  const double mean = t.duration_sum / 200000.0;
  EXPECT_NEAR(mean, std::exp(b.latencyMu() + b.latencySigma() * b.latencySigma() / 2), 0.002);
}

TEST(DistributionsTest, DefaultLatencyP99IsUnderTypicalThreshold) {
  const CompiledBehavior c = compileBehavior(ModelBehavior{});
  RequestSampler sampler(3);
  const RoleTick t = serveMany(sampler, c, 100000, 10);
  EXPECT_NEAR(histogramQuantile(0.5, durationBounds(), t.duration_counts), 0.020, 0.003);
  EXPECT_NEAR(histogramQuantile(0.99, durationBounds(), t.duration_counts), 0.050, 0.006);
}

TEST(DistributionsTest, PsiGrowsWithPredictionShift) {
  RequestSampler sampler(11);
  const RoleTick base = serveMany(sampler, compileBehavior(ModelBehavior{}), 50000, 50);
  const RoleTick same = serveMany(sampler, compileBehavior(ModelBehavior{}), 50000, 50);
  double previous = psi(base.prediction_counts, same.prediction_counts);
  EXPECT_LT(previous, 0.01) << "same distribution, only noise";
  for (double shift : {0.05, 0.1, 0.2, 0.3}) {
    ModelBehavior b;
    b.prediction_shift = shift;
    const RoleTick shifted = serveMany(sampler, compileBehavior(b), 50000, 50);
    const double value = psi(base.prediction_counts, shifted.prediction_counts);
    EXPECT_GT(value, previous) << "shift " << shift;
    previous = value;
  }
  EXPECT_GT(previous, 0.25) << "a shift of 0.3 is major drift";
  ModelBehavior b;
  b.prediction_shift = 0.2;
  const RoleTick shifted = serveMany(sampler, compileBehavior(b), 50000, 50);
  EXPECT_NEAR(shifted.prediction_sum / static_cast<double>(shifted.ok), 2.0 / 7.0 + 0.2, 0.01);
}

TEST(DistributionsTest, MaeAndLabelRate) {
  ModelBehavior b;
  b.abs_error = 0.3;
  b.label_rate = 0.25;
  b.error_rate = 0.1;
  RequestSampler sampler(5);
  const RoleTick t = serveMany(sampler, compileBehavior(b), 100000, 10);
  EXPECT_NEAR(static_cast<double>(t.labelled) / static_cast<double>(t.ok), 0.25, 0.01);
  EXPECT_NEAR(t.abs_error_sum / static_cast<double>(t.labelled), 0.3, 0.01);
  // Only successful requests carry a prediction.
  EXPECT_EQ(std::accumulate(t.prediction_counts.begin(), t.prediction_counts.end(), 0ULL), t.ok);
}

TEST(DistributionsTest, SameSeedSameDraws) {
  const CompiledBehavior c = compileBehavior(ModelBehavior{});
  RequestSampler a(99), b(99), other(100);
  const RoleTick ta = serveMany(a, c, 5000, 10), tb = serveMany(b, c, 5000, 10);
  const RoleTick to = serveMany(other, c, 5000, 10);
  EXPECT_EQ(ta.duration_counts, tb.duration_counts);
  EXPECT_EQ(ta.abs_error_sum, tb.abs_error_sum);
  EXPECT_NE(ta.duration_counts, to.duration_counts);
}

}  // namespace
}  // namespace mr::sim
