#include "analysis/f_distribution.h"

#include <algorithm>
#include <cmath>

namespace mr::analysis {

namespace {

// Continued fraction of I_x(a, b) (the even/odd terms d_2m, d_2m+1 of the classical expansion),
// evaluated with the modified Lentz method. Converges fast for x < (a + 1) / (a + b + 2); the
// caller uses the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) otherwise.
double betaContinuedFraction(double x, double a, double b) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-15;
  constexpr int kMaxIterations = 1000000;  // ~sqrt(max(a, b)) are needed; counts may be 1e7
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const double m2 = 2.0 * m;
    // Even step: d_2m = m (b - m) x / ((a + 2m - 1)(a + 2m)).
    double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
    d = 1.0 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    // Odd step: d_2m+1 = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
    d = 1.0 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEps) break;
  }
  return h;
}

}  // namespace

double regularizedBeta(double x, double a, double b) {
  x = std::clamp(x, 0.0, 1.0);
  if (x == 0.0) return 0.0;
  if (x == 1.0) return 1.0;
  // x^a (1-x)^b / (a B(a, b)) in logs: the counts can be large enough to overflow otherwise.
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * betaContinuedFraction(x, a, b) / a;
  return 1.0 - front * betaContinuedFraction(1.0 - x, b, a) / b;
}

double fCdf(double f, double d1, double d2) {
  if (f <= 0) return 0.0;
  if (std::isinf(f)) return 1.0;
  const double x = d1 * f / (d1 * f + d2);
  return regularizedBeta(x, d1 / 2.0, d2 / 2.0);
}

double fQuantile(double p, double d1, double d2) {
  // Bisection on log f: the CDF is monotone, and e^-40..e^40 covers every quantile we ask for
  // (the ratio of two MAEs of at least one labelled sample each at p in [0.001, 0.999]).
  double lo = -40.0, hi = 40.0;
  for (int i = 0; i < 100 && hi - lo > 1e-13; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (fCdf(std::exp(mid), d1, d2) < p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return std::exp(0.5 * (lo + hi));
}

}  // namespace mr::analysis
