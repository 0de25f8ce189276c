// The F distribution (Fisher-Snedecor), for the MAE-degradation check: under exponentially
// distributed absolute errors, the ratio of two sample MAEs divided by the ratio of the true
// MAEs follows F(2 n_canary, 2 n_stable) exactly (a sum of n exponentials is Gamma(n)). Degrees
// of freedom may be non-integer (Prometheus increase() extrapolates counts).
// Reference values: mpmath (docs/analysis.md), tests/analysis/f_distribution_test.cpp.
// Thread-safety: pure functions.
#pragma once

namespace mr::analysis {

// Regularized incomplete beta function I_x(a, b). REQUIRES: a > 0, b > 0; x is clamped to [0,1].
double regularizedBeta(double x, double a, double b);

// P(F <= f) for F ~ F(d1, d2). REQUIRES: d1 > 0, d2 > 0. 0 for f <= 0.
double fCdf(double f, double d1, double d2);

// The p-quantile of F(d1, d2): the f with fCdf(f) = p. REQUIRES: 0 < p < 1, d1 > 0, d2 > 0.
double fQuantile(double p, double d1, double d2);

}  // namespace mr::analysis
