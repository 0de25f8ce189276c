// Reference values were computed with mpmath 1.3 (30 digits; betainc, and for the F quantiles
// bisection on the CDF), script in docs/analysis.md, not with this code.
#include "analysis/f_distribution.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mr::analysis {
namespace {

TEST(RegularizedBetaTest, MatchesMpmath) {
  EXPECT_NEAR(regularizedBeta(0.3, 2, 5), 0.579825, 1e-12);
  EXPECT_NEAR(regularizedBeta(0.5, 1000, 1000.5), 0.504460588963913, 1e-10);
  EXPECT_NEAR(regularizedBeta(0.1, 0.5, 0.5), 0.204832764699133, 1e-12);
  EXPECT_EQ(regularizedBeta(0, 3, 4), 0.0);
  EXPECT_EQ(regularizedBeta(1, 3, 4), 1.0);
  EXPECT_EQ(regularizedBeta(-0.5, 3, 4), 0.0);  // clamped
}

TEST(FDistributionTest, QuantilesMatchMpmath) {
  struct Case {
    double p, d1, d2, quantile;
  } cases[] = {{0.99, 20, 20, 2.937735277366},     {0.05, 20, 20, 0.470775390573},
               {0.99, 2000, 2000, 1.109682471446}, {0.99, 2, 1e6, 4.605191393646},
               {0.01, 60, 200000, 0.624715487095}, {0.95, 7.5, 3.25, 7.882215507897}};
  for (const auto& c : cases) {
    EXPECT_NEAR(fQuantile(c.p, c.d1, c.d2), c.quantile, 1e-9 * c.quantile)
        << c.p << " " << c.d1 << " " << c.d2;
  }
}

TEST(FDistributionTest, CdfInvertsQuantileAtLargeCounts) {
  // Millions of labelled samples: the continued fraction must still converge.
  for (double n : {1e4, 1e6, 2e7}) {
    const double f = fQuantile(0.99, 2 * n, 2 * n);
    EXPECT_NEAR(fCdf(f, 2 * n, 2 * n), 0.99, 1e-9) << n;
    // log F is about normal with variance 1/n + 1/n here.
    EXPECT_NEAR(std::log(f), 2.326347874 * std::sqrt(2 / n), 1e-3 * std::sqrt(2 / n) + 1e-9);
  }
  EXPECT_EQ(fCdf(0, 4, 4), 0.0);
  EXPECT_EQ(fCdf(-1, 4, 4), 0.0);
}

}  // namespace
}  // namespace mr::analysis
