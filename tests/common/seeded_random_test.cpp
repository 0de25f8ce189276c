#include "common/seeded_random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace mr {
namespace {

struct Moments {
  double mean = 0;
  double var = 0;
};

template <typename F>
Moments moments(int n, F draw) {
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = draw();
    s += x;
    s2 += x * x;
  }
  const double m = s / n;
  return {m, s2 / n - m * m};
}

TEST(SeededRandom, MatchesTheSplitMix64ReferenceOutputs) {
  // First outputs of Vigna's splitmix64.c seeded with 1234567.
  SeededRandom r(1234567);
  EXPECT_EQ(r.next(), 6457827717110365317ULL);
  EXPECT_EQ(r.next(), 3203168211198807973ULL);
  EXPECT_EQ(r.next(), 9817491932198370423ULL);
}

TEST(SeededRandom, SameSeedSameSequenceDifferentSeedDifferent) {
  SeededRandom a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const double x = a.normal();
    EXPECT_EQ(x, b.normal());
    EXPECT_NE(x, c.normal());
  }
}

TEST(SeededRandom, UniformIsInUnitIntervalWithMeanOneHalf) {
  SeededRandom r(7);
  double lo = 1, hi = 0;
  auto m = moments(200000, [&] {
    const double u = r.uniform();
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    return u;
  });
  EXPECT_GE(lo, 0.0);
  EXPECT_LT(hi, 1.0);
  EXPECT_NEAR(m.mean, 0.5, 0.005);
  EXPECT_NEAR(m.var, 1.0 / 12, 0.002);
}

TEST(SeededRandom, NormalHasMeanZeroVarianceOneAndNormalTails) {
  SeededRandom r(11);
  int beyond = 0;
  auto m = moments(200000, [&] {
    const double z = r.normal();
    if (z > 2.3263) ++beyond;  // the 99th percentile
    return z;
  });
  EXPECT_NEAR(m.mean, 0.0, 0.01);
  EXPECT_NEAR(m.var, 1.0, 0.015);
  EXPECT_NEAR(beyond / 200000.0, 0.01, 0.0015);
}

TEST(SeededRandom, PoissonMeanAndVarianceOnBothAlgorithms) {
  for (double mean : {0.2, 3.0, 50.0, 199.0, 500.0, 20000.0}) {
    SeededRandom r(static_cast<std::uint64_t>(mean * 1000));
    auto m = moments(40000, [&] { return static_cast<double>(r.poisson(mean)); });
    EXPECT_NEAR(m.mean, mean, 5 * std::sqrt(mean / 40000)) << mean;
    EXPECT_NEAR(m.var / mean, 1.0, 0.05) << mean;
  }
  SeededRandom r(1);
  EXPECT_EQ(r.poisson(0), 0u);
}

TEST(SeededRandom, PoissonSmallMeanHasExactZeroProbability) {
  SeededRandom r(5);
  int zeros = 0;
  for (int i = 0; i < 100000; ++i)
    zeros += r.poisson(0.5) == 0;
  EXPECT_NEAR(zeros / 100000.0, std::exp(-0.5), 0.005);
}

TEST(SeededRandom, BinomialMeanVarianceAndEdges) {
  struct Case {
    std::uint64_t n;
    double p;
  } cases[] = {{10, 0.001}, {500, 0.01}, {500, 0.3}, {100000, 0.002}, {12000, 0.95}, {7, 0.5}};
  for (const auto& c : cases) {
    SeededRandom r(c.n);
    const double mean = c.n * c.p, var = mean * (1 - c.p);
    auto m = moments(40000, [&] {
      const auto k = r.binomial(c.n, c.p);
      EXPECT_LE(k, c.n);
      return static_cast<double>(k);
    });
    EXPECT_NEAR(m.mean, mean, 5 * std::sqrt(var / 40000) + 1e-9) << c.n << " " << c.p;
    // Relative noise of the variance estimate is about 1/sqrt(number of successes).
    EXPECT_NEAR(m.var, var, std::max(0.06, 5 / std::sqrt(40000 * mean)) * var + 1e-9)
        << c.n << " " << c.p;
  }
  SeededRandom r(3);
  EXPECT_EQ(r.binomial(0, 0.5), 0u);
  EXPECT_EQ(r.binomial(450, 1.0), 450u);
  EXPECT_EQ(r.binomial(450, 0.0), 0u);
}

TEST(SeededRandom, GammaAndBetaMeans) {
  SeededRandom r(9);
  for (double shape : {0.5, 1.0, 3.8}) {
    auto m = moments(50000, [&] { return r.gamma(shape); });
    EXPECT_NEAR(m.mean, shape, 0.03 * shape) << shape;
    EXPECT_NEAR(m.var, shape, 0.06 * shape) << shape;
  }
  auto m = moments(50000, [&] { return r.beta(1.2, 3.8); });
  EXPECT_NEAR(m.mean, 1.2 / 5.0, 0.005);
}

}  // namespace
}  // namespace mr
