// Verdict tables of the noise-aware rules (max 0.1 for MAE, 0.2 for PSI, the defaults). MAE
// bounds 0.08139/0.2916 and 1.163/1.583 are from mpmath (docs/analysis.md); the rest are
// asserted through the verdicts they imply.
#include "analysis/noise_aware.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace mr::analysis {
namespace {

TEST(MaeBoundsTest, MatchMpmath) {
  auto b = maeDegradationBounds(300, 1000, 250, 1000);  // 0.3 vs 0.25
  EXPECT_NEAR(b.lower, 0.0813904255295, 1e-9);
  EXPECT_NEAR(b.upper, 0.291622445348, 1e-9);
  b = maeDegradationBounds(600, 1000, 250, 1000);  // 0.6 vs 0.25
  EXPECT_NEAR(b.lower, 1.16278085106, 1e-9);
  EXPECT_NEAR(b.upper, 1.5832448907, 1e-9);
}

TEST(MaeVerdictTest, Table) {
  struct Case {
    double canary_sum, canary_count, stable_sum, stable_count;
    Verdict verdict;
    const char* why;
  } cases[] = {
      {600, 1000, 250, 1000, Verdict::kFail, "2.4x: lower bound 1.16 > 0.1"},
      {300, 1000, 250, 1000, Verdict::kInconclusive, "1.2x: bounds [0.08, 0.29] hold 0.1"},
      {750, 3000, 750, 3000, Verdict::kPass, "identical at 3000: upper bound ~0.043"},
      {2600, 10000, 5000, 20000, Verdict::kPass, "+4% at 10000/20000: upper bound ~0.062"},
      {2800, 10000, 5000, 20000, Verdict::kInconclusive, "+12%, not significant vs +10%"},
      {3000, 10000, 5000, 20000, Verdict::kFail, "+20% at 10000/20000: lower bound ~0.16"},
      {56, 500, 50, 500, Verdict::kInconclusive, "+12% at 500: the old rule failed this"},
      {50, 500, 50, 500, Verdict::kInconclusive, "identical at 500: cannot prove <= +10%"},
      {40, 10, 10, 10, Verdict::kFail, "4x at 10 labels is beyond noise"},
      {20, 10, 10, 10, Verdict::kInconclusive, "2x at 10 labels is not"},
      {0, 1000, 250, 1000, Verdict::kPass, "a canary without error"},
      {0, 10, 0, 10, Verdict::kPass, "both perfect"},
      {1, 10, 0, 10, Verdict::kFail, "stable perfect, canary not"},
  };
  for (const auto& c : cases) {
    const auto j =
        judgeMaeDegradation(c.canary_sum, c.canary_count, c.stable_sum, c.stable_count, 0.1);
    EXPECT_EQ(j.verdict, c.verdict) << c.why << ": " << j.message;
  }
}

TEST(MaeVerdictTest, ValueAndMessages) {
  auto j = judgeMaeDegradation(300, 1000, 250, 1000, 0.1);
  EXPECT_NEAR(*j.value, 0.2, 1e-12);
  EXPECT_EQ(j.message,
            "MAE degradation 0.2 (canary MAE 0.3, stable MAE 0.25; 99% lower bound 0.08139, 95% "
            "upper bound 0.2916): max 0.1 lies between the bounds; more labelled samples needed");
  j = judgeMaeDegradation(600, 1000, 250, 1000, 0.1);
  EXPECT_NEAR(*j.value, 1.4, 1e-12);
  EXPECT_NE(j.message.find("99% lower bound 1.163"), std::string::npos) << j.message;
  EXPECT_NE(j.message.find(": lower bound > max 0.1"), std::string::npos) << j.message;
  j = judgeMaeDegradation(1, 10, 0, 10, 0.1);
  EXPECT_FALSE(j.value.has_value());  // infinite: JSON cannot hold it
  EXPECT_EQ(j.message, "stable MAE is 0 and canary MAE is not (canary MAE 0.1, stable MAE 0)");
}

const double kInf = std::numeric_limits<double>::infinity();

PsiResult psiOf(const std::vector<double>& stable, const std::vector<double>& canary) {
  std::vector<CumulativeBucket> e, a;
  double ce = 0, ca = 0;
  for (size_t i = 0; i < stable.size(); ++i) {
    ce += stable[i];
    ca += canary[i];
    const double le = i + 1 == stable.size() ? kInf : 0.1 * (i + 1);
    e.push_back({le, ce});
    a.push_back({le, ca});
  }
  return *populationStabilityIndex(e, a);
}

TEST(DriftVerdictTest, Table) {
  struct Case {
    std::vector<double> stable, canary;
    Verdict verdict;
    const char* why;
  } cases[] = {
      {{1000, 2000, 3000, 4000}, {100, 200, 300, 400}, Verdict::kPass, "same shape"},
      {{1000, 2000, 3000, 4000}, {400, 300, 200, 100}, Verdict::kFail, "reversed, PSI 0.91"},
      {{1000, 2000, 3000, 4000}, {4, 3, 2, 1}, Verdict::kInconclusive, "reversed at 10"},
      {{3, 3, 2, 2}, {2, 2, 3, 3}, Verdict::kPass, "10 vs 10, PSI 0.16"},
      {{4, 3, 2, 1}, {1, 2, 3, 4}, Verdict::kInconclusive, "10 vs 10, PSI 0.9 is noise-sized"},
      {{0, 0, 5000, 5000}, {5000, 5000, 0, 0}, Verdict::kFail, "disjoint at 10000"},
  };
  for (const auto& c : cases) {
    const auto psi = psiOf(c.stable, c.canary);
    const auto j = judgeDrift(psi, 0.2);
    EXPECT_EQ(j.verdict, c.verdict) << c.why << ": " << j.message;
    EXPECT_NEAR(*j.value, psi.psi, 1e-12);
  }
}

TEST(DriftVerdictTest, NoiseShrinksWithSampleSizeAndIsDeterministic) {
  const std::vector<double> shape = {1, 2, 3, 4};
  auto scaled = [&](double n) {
    std::vector<double> v;
    for (double s : shape)
      v.push_back(s * n / 10);
    return v;
  };
  const double at10 = psiNoiseQuantile(psiOf(scaled(10), scaled(10)));
  const double at100 = psiNoiseQuantile(psiOf(scaled(100), scaled(100)));
  const double at10000 = psiNoiseQuantile(psiOf(scaled(10000), scaled(10000)));
  EXPECT_GT(at10, at100);
  EXPECT_GT(at100, at10000);
  // Asymptotically n_eff * PSI ~ chi2(bins - 1): 99% quantile 11.34 for 3 degrees of freedom.
  EXPECT_NEAR(at10000 * 5000, 11.34, 1.5);
  EXPECT_EQ(at100, psiNoiseQuantile(psiOf(scaled(100), scaled(100))));
}

TEST(DriftVerdictTest, MessagesCarryTheNoise) {
  auto j = judgeDrift(psiOf({4, 3, 2, 1}, {1, 2, 3, 4}), 0.2);
  EXPECT_NE(j.message.find("PSI 0.9129 (4 bins, 10 canary / 10 stable predictions) > max 0.2 "
                           "but within max + sampling noise "),
            std::string::npos)
      << j.message;
  EXPECT_NE(j.message.find("more data needed"), std::string::npos) << j.message;
  j = judgeDrift(psiOf({1000, 2000, 3000, 4000}, {400, 300, 200, 100}), 0.2);
  EXPECT_NE(j.message.find("> max 0.2 + sampling noise 0.0"), std::string::npos) << j.message;
}

}  // namespace
}  // namespace mr::analysis
