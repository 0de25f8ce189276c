// Histogram math, pure functions: `le` parsing, per-bin counts, and the Population Stability
// Index of two Prometheus histograms (bins aligned by `le`). The verdicts built on them are in
// sequential.h.
// Reference values and their derivation are in docs/analysis.md and tests/analysis/.
// Thread-safety: pure functions, no shared state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mr::analysis {

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

// Formats a number for messages: up to 4 significant digits, "NaN", "+Inf", "-Inf".
std::string formatNumber(double v);

}  // namespace mr::analysis
