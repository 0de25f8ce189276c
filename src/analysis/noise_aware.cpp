#include "analysis/noise_aware.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "analysis/f_distribution.h"

namespace mr::analysis {

namespace {

std::string percent(double confidence) {
  return formatNumber(confidence * 100) + "%";
}

// Draws a multinomial sample of `n` over `p` (summing to 1) into `out`: one categorical draw
// per observation while that is cheap, conditional binomials for large n.
void multinomial(std::mt19937_64& rng, long long n, const std::vector<double>& p,
                 std::vector<double>& out) {
  std::fill(out.begin(), out.end(), 0.0);
  size_t last = 0;  // the last bin that can hold observations takes all that remain
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] > 0) last = i;
  }
  if (n <= 64) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (long long k = 0; k < n; ++k) {
      double x = u(rng);
      size_t i = 0;
      while (i < last && x >= p[i])
        x -= p[i++];
      out[i] += 1;
    }
    return;
  }
  double mass = 1.0;
  for (size_t i = 0; i <= last && n > 0; ++i) {
    long long k = n;
    if (i < last && p[i] <= 0) {
      k = 0;
    } else if (i < last) {
      const double share = std::clamp(p[i] / mass, 0.0, 1.0);
      const double var = static_cast<double>(n) * share * (1 - share);
      // Binomials with variance >= 100 are normal to well within the noise we estimate, and a
      // normal draw has none of std::binomial_distribution's per-parameter setup cost.
      if (var >= 100) {
        const double z = std::normal_distribution<double>()(rng);
        k = std::clamp(std::llround(static_cast<double>(n) * share + std::sqrt(var) * z), 0LL, n);
      } else {
        k = std::binomial_distribution<long long>(n, share)(rng);
      }
    }
    out[i] = static_cast<double>(k);
    n -= k;
    mass -= p[i];
  }
}

}  // namespace

MaeBounds maeDegradationBounds(double canary_sum, double canary_count, double stable_sum,
                               double stable_count) {
  const double ratio = (canary_sum / canary_count) / (stable_sum / stable_count);
  const double d1 = 2 * canary_count, d2 = 2 * stable_count;
  return {ratio / fQuantile(kFailConfidence, d1, d2) - 1,
          ratio / fQuantile(1 - kPassConfidence, d1, d2) - 1};
}

Judgement judgeMaeDegradation(double canary_sum, double canary_count, double stable_sum,
                              double stable_count, double max) {
  const auto d = maeDegradation(canary_sum, canary_count, stable_sum, stable_count);
  std::string text =
      " (canary MAE " + formatNumber(d.canary_mae) + ", stable MAE " + formatNumber(d.stable_mae);
  if (d.stable_mae == 0) {
    // No noise model for a perfect stable version: every canary error is infinitely worse.
    if (d.canary_mae == 0) return {Verdict::kPass, 0.0, "canary and stable MAE are both 0"};
    return {Verdict::kFail, std::nullopt, "stable MAE is 0 and canary MAE is not" + text + ")"};
  }
  const auto b = maeDegradationBounds(canary_sum, canary_count, stable_sum, stable_count);
  text = "MAE degradation " + formatNumber(*d.value) + text + "; " + percent(kFailConfidence) +
         " lower bound " + formatNumber(b.lower) + ", " + percent(kPassConfidence) +
         " upper bound " + formatNumber(b.upper) + ")";
  const std::string m = formatNumber(max);
  if (b.lower > max) return {Verdict::kFail, d.value, text + ": lower bound > max " + m};
  if (b.upper <= max) return {Verdict::kPass, d.value, text + ": upper bound <= max " + m};
  return {Verdict::kInconclusive, d.value,
          text + ": max " + m + " lies between the bounds; more labelled samples needed"};
}

double psiNoiseQuantile(const PsiResult& psi, double q, int draws, double smoothing) {
  const size_t bins = psi.expected_bins.size();
  // The null model: both sides draw from the pooled proportions, plus a Jeffreys pseudo-count
  // of 0.5 per bin. Without it a bin that neither small sample hit would be impossible in the
  // model, while in reality it is a rare bin that one side may hit next time, and such
  // one-sided empty bins are what inflate a smoothed PSI most (measured: 1.35% instead of <= 1%
  // false Fail at 10 vs 10 predictions without it). It is negligible at large samples.
  constexpr double kPseudoCount = 0.5;
  const double total = psi.expected_total + psi.actual_total + kPseudoCount * bins;
  std::vector<double> pooled(bins);
  for (size_t i = 0; i < bins; ++i)
    pooled[i] = (psi.expected_bins[i] + psi.actual_bins[i] + kPseudoCount) / total;
  // Counts from increase() are extrapolated, hence fractional; the noise is that of the
  // nearest whole number of observations.
  const long long n_e = std::max(1LL, std::llround(psi.expected_total));
  const long long n_a = std::max(1LL, std::llround(psi.actual_total));
  std::mt19937_64 rng(0x9e3779b97f4a7c15ULL);  // fixed: the same histograms, the same verdict
  std::vector<double> e(bins), a(bins), samples;
  samples.reserve(draws);
  for (int i = 0; i < draws; ++i) {
    multinomial(rng, n_e, pooled, e);
    multinomial(rng, n_a, pooled, a);
    samples.push_back(psiOfBins(e, a, smoothing));
  }
  const auto k = static_cast<size_t>(std::clamp(std::ceil(q * draws) - 1, 0.0, draws - 1.0));
  std::nth_element(samples.begin(), samples.begin() + k, samples.end());
  return samples[k];
}

Judgement judgeDrift(const PsiResult& psi, double max) {
  const std::string text = "PSI " + formatNumber(psi.psi) + " (" + std::to_string(psi.bins) +
                           " bins, " + formatNumber(psi.actual_total) + " canary / " +
                           formatNumber(psi.expected_total) + " stable predictions)";
  const std::string m = formatNumber(max);
  if (psi.psi <= max) return {Verdict::kPass, psi.psi, text + " <= max " + m};
  const double noise = psiNoiseQuantile(psi);
  const std::string why = "sampling noise " + formatNumber(noise) + " (the " +
                          percent(kFailConfidence) +
                          " quantile of the PSI of identical versions at these sample sizes)";
  if (psi.psi > max + noise) {
    return {Verdict::kFail, psi.psi, text + " > max " + m + " + " + why};
  }
  return {Verdict::kInconclusive, psi.psi,
          text + " > max " + m + " but within max + " + why + "; more data needed"};
}

}  // namespace mr::analysis
