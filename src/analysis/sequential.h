// Anytime-valid evidence: tests whose error bound holds however many times they are looked at,
// on data that accumulates over a whole rollout (every step of one canary revision). The
// controller looks at cumulative counts every `interval` for days; a fixed-sample test applied
// at each look would be wrong far more often than its level. Each function here is valid
// uniformly over time:
//  - binomial (error rate, fraction of slow requests): a mixture of likelihood ratios over a
//    fixed grid of alternatives, a nonnegative supermartingale under the null, so by Ville's
//    inequality P(it ever reaches 1/alpha) <= alpha. Exact at any sample size (no normal
//    approximation): 3 errors in 3 requests against p0 = 0.001 is already decisive.
//  - means with measured spread (MAE, relative comparisons, PSI): an asymptotic confidence
//    sequence (Robbins' normal mixture boundary applied to an estimator with a CLT, Waudby-Smith
//    et al. 2021), valid as the sample grows; used only from kMinNormalSamples per side.
// The derivation, the constants and the references are in docs/analysis.md ("Evidence over a
// whole rollout"); tests/analysis/sequential_test.cpp checks the properties and the rates.
// Everything is deterministic: no random numbers anywhere.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mr::analysis {

// Counts accumulated since the canary revision's evidence began. Prometheus' increase()
// extrapolates at the edges, so counts are real numbers: both are rounded to the nearest
// integer (k clamped into [0, n]) before any test.
struct BinomialCounts {
  double n = 0;  // trials (requests)
  double k = 0;  // successes of the event under test (errors, slow requests)
};

// log of the e-value against H0: p <= p0 (evidence that the true rate is ABOVE p0).
// REQUIRES: 0 < p0 < 1.
double logEvidenceAbove(BinomialCounts c, double p0);
// log of the e-value against H0: p >= p0 (evidence that the true rate is BELOW p0).
double logEvidenceBelow(BinomialCounts c, double p0);

// Anytime-valid one-sided bounds: the smallest p0 that logEvidenceAbove does not reject at
// level alpha (lower), and the largest p0 that logEvidenceBelow does not reject (upper).
double binomialLowerBound(BinomialCounts c, double alpha);
double binomialUpperBound(BinomialCounts c, double alpha);

// Trials still needed before logEvidenceBelow(p0) reaches 1/alpha if the rate stays at its
// current estimate (k/n, or 0 without data). nullopt when the estimate is >= p0 (never).
std::optional<double> binomialTrialsNeeded(BinomialCounts c, double p0, double alpha);

// Observations of a non-negative quantity: count, sum and sum of squares.
struct SampleMoments {
  double n = 0;
  double sum = 0;
  std::optional<double> sum_sq;  // absent when the exporter has no squared sum
  double mean() const { return n > 0 ? sum / n : 0; }
};

// Below this many observations per side the normal approximation behind the asymptotic
// confidence sequences is not trusted: such tests only ever say "undecided".
inline constexpr double kMinNormalSamples = 30;
// The sample size at which the normal-mixture boundary is tightest (its tuning parameter).
inline constexpr double kBoundaryTargetSamples = 5000;

// Time-uniform critical value: bounds estimate +- z * standard error hold for all n at once
// with probability >= 1 - alpha (two-sided, so each one-sided use is conservative).
double timeUniformZ(double n, double alpha);

// What the accumulated evidence says about "metric <= threshold".
enum class Evidence { kUndecided, kWithin, kHarm };

struct EvidenceResult {
  Evidence evidence = Evidence::kUndecided;
  double estimate = 0;          // point estimate of the judged quantity
  std::optional<double> lower;  // anytime-valid lower bound (level alpha_harm)
  std::optional<double> upper;  // anytime-valid upper bound (level alpha_within)
  std::string note;             // assumptions used (e.g. "exponential errors assumed")
};

struct Levels {
  double harm = 0.01;    // P(ever claiming harm of a canary within the threshold)
  double within = 0.01;  // P(ever claiming "within" of a canary worse than the threshold)
};

// Rate test: harm when the rate is shown > max, within when shown <= max.
// `explain` computes the display bounds (bisections; the decision never needs them).
EvidenceResult judgeRate(BinomialCounts c, double max, Levels levels, bool explain);

// Ratio of means canary/stable against max_ratio (MAE: 1 + maxDegradation; relativeTo stable:
// the allowed ratio). Uses the measured variances; without squared sums it assumes exponential
// observations (standard deviation = mean) and says so in `note`. Bounds are on the ratio
// (Fieller's interval) when the stable mean is clearly above 0.
EvidenceResult judgeMeanRatio(const SampleMoments& canary, const SampleMoments& stable,
                              double max_ratio, Levels levels);

// Rate ratio canary/stable (relative error rate or slow fraction) against max_ratio.
EvidenceResult judgeRateRatio(BinomialCounts canary, BinomialCounts stable, double max_ratio,
                              Levels levels);

// PSI of the canary's histogram (actual) against the stable one (expected), per-bin counts on
// shared bounds, each bin given half a count (so empty bins stay finite), with a small-sample
// bias correction and a delta-method standard error. Harm: PSI shown > max.
struct PsiEvidence {
  EvidenceResult result;
  double psi = 0;  // the plug-in PSI with half counts (what the message shows)
  double bias = 0;
};
PsiEvidence judgePsi(const std::vector<double>& stable_bins, const std::vector<double>& canary_bins,
                     double max, Levels levels);

}  // namespace mr::analysis
