// Reference values: every PSI value was computed with python3 from the textbook formula
// (stdlib `math` only), not by this code.
#include "analysis/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace mr::analysis {
namespace {

const double kInf = std::numeric_limits<double>::infinity();

TEST(ParseLeTest, NumbersAndInfinity) {
  EXPECT_EQ(*parseLe("0.1"), 0.1);
  EXPECT_EQ(*parseLe("1"), 1.0);
  EXPECT_EQ(*parseLe("1.0"), 1.0);
  EXPECT_EQ(*parseLe("1e-3"), 0.001);
  EXPECT_EQ(*parseLe("+Inf"), kInf);
  EXPECT_FALSE(parseLe("abc").isOk());
  EXPECT_FALSE(parseLe("").isOk());
  EXPECT_FALSE(parseLe("NaN").isOk());
}

std::vector<CumulativeBucket> cumulative(const std::vector<double>& les,
                                         const std::vector<double>& per_bin) {
  std::vector<CumulativeBucket> out;
  double c = 0;
  for (size_t i = 0; i < les.size(); ++i) {
    c += per_bin[i];
    out.push_back({les[i], c});
  }
  return out;
}

TEST(BinCountsTest, CumulativeToPerBinSumsDuplicatesAndClampsNegatives) {
  // le "1" and "1.0" from two sources are one bound; 0.5 dips below 0.2 (noise) -> bin 0.
  std::vector<CumulativeBucket> b = {{kInf, 12}, {0.2, 5}, {0.5, 4}, {1, 6}, {1.0, 2}};
  const auto bins = binCounts(b, {0.2, 0.5, 1, kInf});
  ASSERT_EQ(bins.size(), 4u);
  EXPECT_EQ(bins[0], 5);
  EXPECT_EQ(bins[1], 0);
  EXPECT_EQ(bins[2], 3);  // 8 - 5
  EXPECT_EQ(bins[3], 4);  // 12 - 8
}

TEST(PsiTest, IdenticalProportionsGiveZero) {
  auto r = populationStabilityIndex(cumulative({0.25, 0.5, 0.75, kInf}, {10, 20, 30, 40}),
                                    cumulative({0.25, 0.5, 0.75, kInf}, {1, 2, 3, 4}));
  ASSERT_TRUE(r.isOk());
  EXPECT_NEAR(r->psi, 0.0, 1e-12);
  EXPECT_EQ(r->expected_total, 100);
  EXPECT_EQ(r->actual_total, 10);
}

TEST(PsiTest, ReversedDistribution) {
  auto r = populationStabilityIndex(cumulative({0.25, 0.5, 0.75, kInf}, {100, 200, 300, 400}),
                                    cumulative({0.25, 0.5, 0.75, kInf}, {400, 300, 200, 100}));
  ASSERT_TRUE(r.isOk());
  EXPECT_NEAR(r->psi, 0.912869638294, 1e-9);
}

TEST(PsiTest, EmptyBinsSmoothedWithEvidentlyConstant) {
  auto r = populationStabilityIndex(cumulative({0.25, 0.5, 0.75, kInf}, {50, 50, 0, 100}),
                                    cumulative({0.25, 0.5, 0.75, kInf}, {0, 100, 50, 50}));
  ASSERT_TRUE(r.isOk());
  EXPECT_NEAR(r->psi, 4.257031786506, 1e-9);
}

TEST(PsiTest, MismatchedBucketsAlignOnSharedBounds) {
  // Stable has 0.1..0.4; canary only 0.2 and 0.4: bins become (..0.2], (0.2..0.4], (0.4..+Inf].
  auto stable = cumulative({0.1, 0.2, 0.3, 0.4, kInf}, {10, 20, 30, 40, 0});
  auto canary = cumulative({0.2, 0.4, kInf}, {25, 25, 50});
  auto r = populationStabilityIndex(stable, canary);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->bins, 3u);
  EXPECT_NEAR(r->psi, 4.730189691960, 1e-9);
  // String forms that differ ("1" vs "1.0") still align once parsed.
  auto a = populationStabilityIndex({{*parseLe("1"), 5}, {*parseLe("+Inf"), 10}},
                                    {{*parseLe("1.0"), 5}, {*parseLe("+Inf"), 10}});
  ASSERT_TRUE(a.isOk());
  EXPECT_NEAR(a->psi, 0.0, 1e-12);
}

TEST(PsiTest, StructuralErrors) {
  EXPECT_FALSE(populationStabilityIndex({{0.5, 1}}, {{0.5, 1}, {kInf, 2}}).isOk());
  EXPECT_FALSE(populationStabilityIndex({{0.5, 1}, {kInf, 2}}, {{0.6, 1}, {kInf, 2}}).isOk());
  EXPECT_FALSE(populationStabilityIndex({{0.5, 0}, {kInf, 0}}, {{0.5, 1}, {kInf, 2}}).isOk());
  auto msg = populationStabilityIndex({{0.5, 1}, {kInf, 2}}, {{0.5, 0}, {kInf, 0}});
  ASSERT_FALSE(msg.isOk());
  EXPECT_NE(msg.status().message().find("canary"), std::string::npos);
}

TEST(FormatNumberTest, SpecialValues) {
  EXPECT_EQ(formatNumber(0.001234567), "0.001235");
  EXPECT_EQ(formatNumber(std::nan("")), "NaN");
  EXPECT_EQ(formatNumber(kInf), "+Inf");
  EXPECT_EQ(formatNumber(-kInf), "-Inf");
  EXPECT_EQ(formatNumber(500), "500");
}

}  // namespace
}  // namespace mr::analysis
