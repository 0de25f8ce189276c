// Noise-aware verdicts of the two checks that compare canary and stable on samples: MAE
// degradation and drift (PSI). Both answer "is the canary worse than allowed?" only when
// sampling noise cannot explain the difference, so two identical versions are not rolled back
// on a small window (the old "point estimate > max" rule failed 8% of identical canaries in the
// scale benchmark). The rules, their assumptions and the measured rates are in
// docs/analysis.md; the calibration is proven by tests/analysis/noise_aware_test.cpp.
// Thread-safety: pure functions (the PSI noise model uses its own fixed-seed RNG per call).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/statistics.h"
#include "analysis/verdict.h"

namespace mr::analysis {

// One-sided confidence levels. Fail needs the canary worse than allowed at kFailConfidence, so
// at most 1% of checks of a canary exactly at the allowed limit (and fewer of an identical one)
// fail. MAE Pass needs the canary within the limit at kPassConfidence: a false Pass only
// advances one step, where the next check sees more canary traffic, so it may be less strict.
inline constexpr double kFailConfidence = 0.99;
inline constexpr double kPassConfidence = 0.95;
// Monte Carlo draws of the PSI noise model (quantile error about +-0.3% in probability).
inline constexpr int kPsiNoiseDraws = 1000;

struct Judgement {
  Verdict verdict = Verdict::kInconclusive;
  std::optional<double> value;  // point estimate; absent when undefined (infinite)
  std::string message;          // one sentence with the numbers and the bounds
};

// One-sided bounds on the true MAE degradation (canary MAE / stable MAE - 1), assuming absolute
// errors are exponentially distributed (standard deviation = mean): then a role's error sum is
// Gamma(count, MAE) and (sample ratio / true ratio) ~ F(2 count_canary, 2 count_stable).
struct MaeBounds {
  double lower = 0;  // at kFailConfidence
  double upper = 0;  // at kPassConfidence
};
// REQUIRES: canary_count > 0, stable_count > 0, stable_sum > 0, canary_sum >= 0.
MaeBounds maeDegradationBounds(double canary_sum, double canary_count, double stable_sum,
                               double stable_count);

// Fail when the lower bound > max; Pass when the upper bound <= max; else Inconclusive.
// A stable MAE of 0 fails any canary error (infinite degradation) and passes a canary MAE of 0.
// REQUIRES: counts > 0 (the caller applies minSampleSize and the no-data policy first).
Judgement judgeMaeDegradation(double canary_sum, double canary_count, double stable_sum,
                              double stable_count, double max);

// The q-quantile of the PSI between two samples of one distribution, of the sizes of `psi`'s
// two sides: a parametric bootstrap from the pooled bin proportions with the same smoothing,
// so the positive small-sample bias of PSI (about (bins - 1) (1/n_canary + 1/n_stable), more
// with empty bins) is measured rather than approximated. Deterministic (fixed seed).
double psiNoiseQuantile(const PsiResult& psi, double q = kFailConfidence,
                        int draws = kPsiNoiseDraws, double smoothing = 1e-4);

// Pass when PSI <= max (PSI's bias is positive, so small samples only make a Pass harder);
// Fail when PSI > max + psiNoiseQuantile (more than the allowed drift plus what identical
// versions reach at these sample sizes in 99% of windows); else Inconclusive.
Judgement judgeDrift(const PsiResult& psi, double max);

}  // namespace mr::analysis
