// Verdict math, pure functions: Wilson score interval for a proportion, the Population
// Stability Index of two Prometheus histograms (bins aligned by `le`), MAE degradation.
// Reference values and their derivation are in docs/analysis.md and tests/analysis/.
// Thread-safety: pure functions, no shared state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mr::analysis {

// Two-sided 95% normal quantile (scipy.stats.norm.ppf(0.975)).
inline constexpr double kZ95 = 1.959963984540054;

struct WilsonInterval {
  double point = 0;  // k / n
  double lower = 0;
  double upper = 0;
};

// Wilson score interval for k successes in n trials. REQUIRES: n > 0, 0 <= k <= n
// (k is clamped into [0, n]: rate extrapolation can make k slightly exceed n).
WilsonInterval wilsonInterval(double k, double n, double z = kZ95);

// One cumulative bucket of a Prometheus histogram: count of observations <= le.
struct CumulativeBucket {
  double le = 0;  // +infinity for "+Inf"
  double count = 0;
};

// Parses an `le` label value: "0.1", "1", "1.0", "1e-3", "+Inf", "Inf". Never compare `le` as
// strings (Prometheus 3 prints "1.0" where 2.42 prints "1").
Result<double> parseLe(std::string_view text);

// Per-bin counts of a cumulative histogram restricted to `bounds` (ascending, last = +Inf):
// bin i holds the observations in (bounds[i-1], bounds[i]]. Buckets with equal le are summed;
// negative differences (extrapolation noise, resets) are clamped to 0.
// REQUIRES: every bound is present in `buckets`.
std::vector<double> binCounts(std::vector<CumulativeBucket> buckets,
                              const std::vector<double>& bounds);

struct PsiResult {
  double psi = 0;
  double expected_total = 0;  // observations in the reference (stable) histogram
  double actual_total = 0;    // observations in the canary histogram
  size_t bins = 0;
  // Per-bin counts on the shared bounds (what the PSI was computed from), for the noise model.
  std::vector<double> expected_bins;
  std::vector<double> actual_bins;
};

// PSI of two aligned per-bin count vectors (same length, each with a positive total), with
// zero proportions replaced by `smoothing`.
double psiOfBins(const std::vector<double>& expected, const std::vector<double>& actual,
                 double smoothing = 1e-4);

// PSI = sum_i (a_i - e_i) * ln(a_i / e_i) over bin proportions, actual = canary,
// expected = stable. Bins are aligned on the `le` bounds both histograms share (a bound present
// on one side only has no known cumulative count on the other, so it is merged into the next
// shared bin rather than guessed). Proportions of 0 are replaced by `smoothing` (Evidently's
// 0.0001). Errors: a side without a +Inf bucket, fewer than 2 shared bins, or an empty side.
Result<PsiResult> populationStabilityIndex(const std::vector<CumulativeBucket>& expected,
                                           const std::vector<CumulativeBucket>& actual,
                                           double smoothing = 1e-4);

struct MaeDegradation {
  std::optional<double> value;  // canary MAE / stable MAE - 1; absent when undefined
  double canary_mae = 0;
  double stable_mae = 0;
};

// REQUIRES: counts > 0. When the stable MAE is 0 the ratio is undefined: value is 0 if the
// canary MAE is 0 too, else absent (an infinite degradation; the check fails it).
MaeDegradation maeDegradation(double canary_sum, double canary_count, double stable_sum,
                              double stable_count);

// Formats a number for messages: up to 4 significant digits, "NaN", "+Inf", "-Inf".
std::string formatNumber(double v);

}  // namespace mr::analysis
