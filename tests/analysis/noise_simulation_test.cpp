// Calibration of the noise-aware rules by simulation (seeded, so the printed rates are
// reproducible). Identical versions: canary and stable draw from one distribution at n = 10,
// 30, 100 and 1000 labelled samples / predictions per side (equal sides: the noisiest split
// for a given canary size). Bound: the rules are one-sided tests at 99%, so a canary exactly
// at the allowed limit fails in at most 1% of windows and an identical one (further from the
// limit) in fewer; the tests assert <= 1%. The old rule ("point estimate > max") is measured
// on the same draws for comparison. MAE errors are exponential (what the simulator emits and
// what the rule assumes); one test measures a heavier-tailed lognormal to show the limit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "analysis/noise_aware.h"

namespace mr::analysis {
namespace {

constexpr double kMaeMax = 0.1;
constexpr double kPsiMax = 0.2;

struct Rates {
  double old_fail = 0, fail = 0, pass = 0;
  // One simulated check: whether the old rule failed it and the new rule's verdict.
  void count(bool old_failed, Verdict verdict) {
    old_fail += old_failed;
    fail += verdict == Verdict::kFail;
    pass += verdict == Verdict::kPass;
  }
  // Counts -> rates.
  Rates& over(int trials) {
    old_fail /= trials;
    fail /= trials;
    pass /= trials;
    return *this;
  }
};

// MAE checks of `trials` windows with n labelled samples per side, canary MAE = factor x
// stable MAE. `draw` returns one absolute error with mean 1.
template <typename Draw>
Rates maeRates(int n, double factor, int trials, std::mt19937_64& rng, Draw draw) {
  Rates r;
  for (int t = 0; t < trials; ++t) {
    double canary = 0, stable = 0;
    for (int i = 0; i < n; ++i) {
      canary += factor * draw(rng);
      stable += draw(rng);
    }
    const auto j = judgeMaeDegradation(canary, n, stable, n, kMaeMax);
    r.count(*maeDegradation(canary, n, stable, n).value > kMaeMax, j.verdict);
  }
  return r.over(trials);
}

void print(const char* what, int n, const Rates& r) {
  std::printf("%-34s n=%5d  old rule Fail %6.2f%%  new rule Fail %6.2f%%  Pass %6.2f%%\n", what, n,
              100 * r.old_fail, 100 * r.fail, 100 * r.pass);
}

TEST(NoiseSimulationTest, MaeIdenticalVersionsRarelyFail) {
  std::mt19937_64 rng(20240611);
  std::exponential_distribution<double> exp1(1.0);
  for (int n : {10, 30, 100, 1000}) {
    const auto r = maeRates(n, 1.0, 2000, rng, exp1);
    print("MAE identical (exponential)", n, r);
    EXPECT_LE(r.fail, 0.01) << n;
    if (n == 10) {
      EXPECT_GT(r.old_fail, 0.3);
    }  // the defect: ~40% at 10 labels
  }
}

TEST(NoiseSimulationTest, MaeAtTheLimitFailsAtMostOnePercent) {
  // A canary exactly 10% worse: the boundary of the test, where the 1% is attained.
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> exp1(1.0);
  for (int n : {10, 1000}) {
    const auto r = maeRates(n, 1.0 + kMaeMax, 2000, rng, exp1);
    print("MAE canary +10% (at max)", n, r);
    EXPECT_LE(r.fail, 0.015) << n;  // 1% + 2.2 standard errors of a 2000-trial rate
    EXPECT_LE(r.pass, 0.05 + 0.011) << n;
  }
}

TEST(NoiseSimulationTest, MaeTwiceWorseFailsWithHighPower) {
  std::mt19937_64 rng(11);
  std::exponential_distribution<double> exp1(1.0);
  for (int n : {30, 100, 1000}) {
    const auto r = maeRates(n, 2.0, 2000, rng, exp1);
    print("MAE canary 2x (power)", n, r);
    EXPECT_EQ(r.pass, 0.0) << n;
    if (n == 1000) {
      EXPECT_GE(r.fail, 0.99);
    }
  }
}

TEST(NoiseSimulationTest, MaeHeavierTailsThanAssumed) {
  // Lognormal sigma 1 (std/mean 1.31 > 1): the exponential model understates the noise, so
  // identical versions fail more often than 1% at tiny samples; documented in analysis.md.
  std::mt19937_64 rng(13);
  std::lognormal_distribution<double> logn(-0.5, 1.0);  // mean 1
  for (int n : {10, 100, 1000}) {
    const auto r = maeRates(n, 1.0, 2000, rng, logn);
    print("MAE identical (lognormal, CV 1.31)", n, r);
    EXPECT_LE(r.fail, 0.03) << n;
    EXPECT_LT(r.fail, r.old_fail) << n;
  }
}

// Prediction scores clamp(X + shift, 0, 1), X ~ Beta(2, 5) (the simulator's model), bucketed
// on le 0.1..1.0 and +Inf.
std::vector<double> scoreBinProbabilities(double shift) {
  auto cdf = [](double x) {
    if (x <= 0) return 0.0;
    if (x >= 1) return 1.0;
    const double q = 1 - x;
    return 1 - std::pow(q, 6) - 6 * x * std::pow(q, 5);
  };
  std::vector<double> p;
  double previous = 0;
  for (int i = 1; i <= 10; ++i) {
    const double c = i == 10 ? 1.0 : cdf(0.1 * i - shift);
    p.push_back(c - previous);
    previous = c;
  }
  p.push_back(0);  // +Inf
  return p;
}

std::vector<CumulativeBucket> sampleHistogram(std::mt19937_64& rng, const std::vector<double>& p,
                                              int n) {
  std::discrete_distribution<int> pick(p.begin(), p.end());
  std::vector<double> bins(p.size());
  for (int i = 0; i < n; ++i)
    bins[pick(rng)] += 1;
  std::vector<CumulativeBucket> out;
  double c = 0;
  for (size_t i = 0; i < bins.size(); ++i) {
    c += bins[i];
    out.push_back({i + 1 == bins.size() ? INFINITY : 0.1 * (i + 1), c});
  }
  return out;
}

Rates driftRates(int n, double shift, int trials, std::mt19937_64& rng) {
  const auto stable_p = scoreBinProbabilities(0);
  const auto canary_p = scoreBinProbabilities(shift);
  Rates r;
  for (int t = 0; t < trials; ++t) {
    const auto psi = populationStabilityIndex(sampleHistogram(rng, stable_p, n),
                                              sampleHistogram(rng, canary_p, n));
    const auto j = judgeDrift(*psi, kPsiMax);
    r.count(psi->psi > kPsiMax, j.verdict);
  }
  return r.over(trials);
}

TEST(NoiseSimulationTest, DriftIdenticalVersionsRarelyFail) {
  std::mt19937_64 rng(17);
  for (int n : {10, 30, 100, 1000}) {
    const auto r = driftRates(n, 0.0, 1000, rng);  // 1000: each check runs the Monte Carlo
    print("drift identical (Beta(2,5))", n, r);
    EXPECT_LE(r.fail, 0.01) << n;
    if (n == 10) {
      EXPECT_GT(r.old_fail, 0.9);
    }  // PSI's small-sample bias
  }
}

TEST(NoiseSimulationTest, DriftShiftFailsWithHighPower) {
  // shift 0.2 is e2e's drifting version; shift 0.1 is a milder real drift.
  std::mt19937_64 rng(19);
  for (double shift : {0.1, 0.2}) {
    for (int n : {100, 1000}) {
      const auto r = driftRates(n, shift, 100, rng);
      print(shift == 0.1 ? "drift shift 0.1 (power)" : "drift shift 0.2 (power)", n, r);
      EXPECT_EQ(r.pass, 0.0);
      if (n == 1000) {
        EXPECT_GE(r.fail, 0.99) << shift;
      }
    }
  }
}

}  // namespace
}  // namespace mr::analysis
