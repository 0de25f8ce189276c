#include "analysis/sequential.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace mr::analysis {
namespace {

// The mixture's alternatives, as log-odds distances from p0: 0.15 * 1.5^j, j = 0..13, from an
// odds ratio of 1.16 to one of e^29 (a rate near 1, or near 0 for the "below" side), with equal
// weights. A geometric grid loses at most a constant factor in evidence against any single
// alternative in its range, and the weights cost ln(14) = 2.6 nats.
constexpr int kGridSize = 14;
constexpr std::array<double, kGridSize> makeGrid() {
  std::array<double, kGridSize> g{};
  double d = 0.15;
  for (int j = 0; j < kGridSize; ++j) {
    g[j] = d;
    d *= 1.5;
  }
  return g;
}
constexpr std::array<double, kGridSize> kGrid = makeGrid();

// log(1 + e^x) without overflow.
double softplus(double x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

// ln q and ln(1 - q) for q = logistic(x).
double logSigmoid(double x) {
  return -softplus(-x);
}
double logOneMinusSigmoid(double x) {
  return -softplus(x);
}

double logit(double p) {
  return std::log(p) - std::log1p(-p);
}

BinomialCounts rounded(BinomialCounts c) {
  BinomialCounts r;
  r.n = std::max(0.0, std::round(c.n));
  r.k = std::clamp(std::round(c.k), 0.0, r.n);
  return r;
}

// log of the mixture: sum_j w_j (q_j/p0)^k ((1-q_j)/(1-p0))^(n-k), q_j at logit(p0) + sign*d_j,
// with p0 given by its log-odds x0 (so p0 near 0 or 1 keeps its precision).
double logMixtureAt(BinomialCounts c, double x0, double sign) {
  const double lp0 = logSigmoid(x0), lq0 = logOneMinusSigmoid(x0);
  std::array<double, kGridSize> terms{};
  double top = -std::numeric_limits<double>::infinity();
  for (int j = 0; j < kGridSize; ++j) {
    const double x = x0 + sign * kGrid[j];
    terms[j] = c.k * (logSigmoid(x) - lp0) + (c.n - c.k) * (logOneMinusSigmoid(x) - lq0);
    top = std::max(top, terms[j]);
  }
  double s = 0;
  for (double t : terms)
    s += std::exp(t - top);
  return top + std::log(s) - std::log(static_cast<double>(kGridSize));
}

double logMixture(BinomialCounts c, double p0, double sign) {
  return logMixtureAt(c, logit(p0), sign);
}

constexpr double kLogitMin = -40, kLogitMax = 40;

double logistic(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

// Bisection on logit(p0) for the boundary of `rejects` (true on the `lo` side).
template <typename F>
double boundary(F rejects, double lo, double hi) {
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (rejects(mid)) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return logistic(0.5 * (lo + hi));
}

double sampleVariance(const SampleMoments& m, bool* assumed_exponential) {
  const double mean = m.mean();
  if (!m.sum_sq) {
    *assumed_exponential = true;
    return mean * mean;
  }
  const double raw = *m.sum_sq / m.n - mean * mean;
  return std::max(0.0, raw) * (m.n > 1 ? m.n / (m.n - 1) : 1.0);
}

}  // namespace

double logEvidenceAbove(BinomialCounts c, double p0) {
  return logMixture(rounded(c), p0, +1.0);
}

double logEvidenceBelow(BinomialCounts c, double p0) {
  return logMixture(rounded(c), p0, -1.0);
}

double binomialLowerBound(BinomialCounts c, double alpha) {
  const BinomialCounts r = rounded(c);
  const double need = std::log(1.0 / alpha);
  if (r.k <= 0) return 0.0;
  auto rejects = [&](double x) { return logMixtureAt(r, x, +1.0) >= need; };
  if (!rejects(kLogitMin)) return 0.0;
  return boundary(rejects, kLogitMin, kLogitMax);
}

double binomialUpperBound(BinomialCounts c, double alpha) {
  const BinomialCounts r = rounded(c);
  const double need = std::log(1.0 / alpha);
  if (r.k >= r.n) return 1.0;
  auto rejects = [&](double x) { return logMixtureAt(r, x, -1.0) >= need; };
  if (!rejects(kLogitMax)) return 1.0;
  // rejects() is true for large p0; flip the orientation for boundary().
  auto keeps = [&](double x) { return !rejects(x); };
  return boundary(keeps, kLogitMin, kLogitMax);
}

std::optional<double> binomialTrialsNeeded(BinomialCounts c, double p0, double alpha) {
  const BinomialCounts r = rounded(c);
  const double rate = r.n > 0 ? r.k / r.n : 0.0;
  if (rate >= p0) return std::nullopt;
  const double need = std::log(1.0 / alpha);
  auto enough = [&](double n) { return logMixture({n, rate * n}, p0, -1.0) >= need; };
  if (enough(r.n)) return 0.0;
  double hi = std::max(1.0, r.n);
  int doublings = 0;
  while (!enough(hi)) {
    hi *= 2;
    if (++doublings > 80) return std::nullopt;
  }
  double lo = hi / 2;
  for (int i = 0; i < 40; ++i) {
    const double mid = 0.5 * (lo + hi);
    (enough(mid) ? hi : lo) = mid;
  }
  return std::ceil(std::max(0.0, hi - r.n));
}

double timeUniformZ(double n, double alpha) {
  const double l = -2.0 * std::log(alpha);
  const double rho2 = (l + std::log(l + 1.0)) / kBoundaryTargetSamples;
  const double t = std::max(n, 1.0) * rho2;
  return std::sqrt(2.0 * (t + 1.0) / t * std::log(std::sqrt(t + 1.0) / alpha));
}

EvidenceResult judgeRate(BinomialCounts c, double max, Levels levels, bool explain) {
  const BinomialCounts r = rounded(c);
  EvidenceResult out;
  out.estimate = r.n > 0 ? r.k / r.n : 0.0;
  if (logEvidenceAbove(r, max) >= std::log(1.0 / levels.harm)) {
    out.evidence = Evidence::kHarm;
  } else if (logEvidenceBelow(r, max) >= std::log(1.0 / levels.within)) {
    out.evidence = Evidence::kWithin;
  }
  if (explain) {
    out.lower = binomialLowerBound(r, levels.harm);
    out.upper = binomialUpperBound(r, levels.within);
  }
  return out;
}

EvidenceResult judgeMeanRatio(const SampleMoments& canary, const SampleMoments& stable,
                              double max_ratio, Levels levels) {
  EvidenceResult out;
  const double mc = canary.mean(), ms = stable.mean();
  out.estimate = ms > 0 ? mc / ms : (mc > 0 ? std::numeric_limits<double>::infinity() : 1.0);
  if (canary.n < kMinNormalSamples || stable.n < kMinNormalSamples) {
    out.note =
        "fewer than " + std::to_string(static_cast<int>(kMinNormalSamples)) + " samples on a side";
    return out;
  }
  bool exponential = false;
  const double vc = sampleVariance(canary, &exponential);
  const double vs = sampleVariance(stable, &exponential);
  if (exponential) out.note = "no squared sums exported: exponential errors assumed";
  const double n_eff = std::min(canary.n, stable.n);
  const double zh = timeUniformZ(n_eff, levels.harm);
  const double zw = timeUniformZ(n_eff, levels.within);
  const double d = mc - max_ratio * ms;
  const double se = std::sqrt(vc / canary.n + max_ratio * max_ratio * vs / stable.n);
  if (d - zh * se > 0) {
    out.evidence = Evidence::kHarm;
  } else if (d + zw * se <= 0) {
    out.evidence = Evidence::kWithin;
  }
  // Fieller's interval for mc/ms: the ratios r with (mc - r ms)^2 <= z^2 (vc/nc + r^2 vs/ns).
  auto fieller = [&](double z, bool upper) -> std::optional<double> {
    const double a = ms * ms - z * z * vs / stable.n;
    const double b = mc * ms;
    const double cc = mc * mc - z * z * vc / canary.n;
    if (a <= 0) return upper ? std::nullopt : std::optional<double>(0.0);
    const double disc = b * b - a * cc;
    if (disc < 0) return std::nullopt;
    const double root = std::sqrt(disc);
    return upper ? (b + root) / a : std::max(0.0, (b - root) / a);
  };
  out.lower = fieller(zh, false);
  out.upper = fieller(zw, true);
  return out;
}

EvidenceResult judgeRateRatio(BinomialCounts canary, BinomialCounts stable, double max_ratio,
                              Levels levels) {
  const BinomialCounts c = rounded(canary), s = rounded(stable);
  // A Bernoulli observation is its own square: sum of squares = count of events.
  return judgeMeanRatio({c.n, c.k, c.k}, {s.n, s.k, s.k}, max_ratio, levels);
}

PsiEvidence judgePsi(const std::vector<double>& stable_bins, const std::vector<double>& canary_bins,
                     double max, Levels levels) {
  PsiEvidence out;
  const size_t bins = std::min(stable_bins.size(), canary_bins.size());
  double ne = 0, na = 0;
  int used = 0;
  for (size_t i = 0; i < bins; ++i) {
    const double e = std::max(0.0, stable_bins[i]), a = std::max(0.0, canary_bins[i]);
    ne += e;
    na += a;
    if (e + a > 0) ++used;
  }
  if (bins < 2 || ne <= 0 || na <= 0) {
    out.result.note = "an empty histogram";
    return out;
  }
  const double half = 0.5;
  std::vector<double> pe(bins), pa(bins);
  for (size_t i = 0; i < bins; ++i) {
    pe[i] = (std::max(0.0, stable_bins[i]) + half) / (ne + half * bins);
    pa[i] = (std::max(0.0, canary_bins[i]) + half) / (na + half * bins);
  }
  double psi = 0, ag = 0, ag2 = 0, eh = 0, eh2 = 0;
  for (size_t i = 0; i < bins; ++i) {
    const double lr = std::log(pa[i] / pe[i]);
    psi += (pa[i] - pe[i]) * lr;
    const double g = lr + 1.0 - pe[i] / pa[i];   // dPSI / d pa_i
    const double h = -lr + 1.0 - pa[i] / pe[i];  // dPSI / d pe_i
    ag += pa[i] * g;
    ag2 += pa[i] * g * g;
    eh += pe[i] * h;
    eh2 += pe[i] * h * h;
  }
  const double inv = 1.0 / na + 1.0 / ne;
  const double dof = std::max(1, used - 1);
  // Under identical versions n_eff * PSI ~ chi-square(bins - 1), 1/n_eff = 1/na + 1/ne: its mean
  // is the bias removed here, its variance the floor of the standard error below.
  out.psi = psi;
  out.bias = dof * inv;
  const double estimate = psi - out.bias;
  const double var =
      std::max(0.0, ag2 - ag * ag) / na + std::max(0.0, eh2 - eh * eh) / ne + 2.0 * dof * inv * inv;
  const double se = std::sqrt(var);
  EvidenceResult& r = out.result;
  r.estimate = std::max(0.0, estimate);
  const double n_eff = std::min(na, ne);
  const double zh = timeUniformZ(n_eff, levels.harm);
  const double zw = timeUniformZ(n_eff, levels.within);
  r.lower = std::max(0.0, estimate - zh * se);
  r.upper = std::max(0.0, estimate + zw * se);
  if (n_eff < std::max(kMinNormalSamples, 5.0 * used)) {
    r.note = "fewer than " +
             std::to_string(static_cast<int>(std::max(kMinNormalSamples, 5.0 * used))) +
             " predictions on a side";
    return out;
  }
  if (estimate - zh * se > max) {
    r.evidence = Evidence::kHarm;
  } else if (estimate + zw * se <= max) {
    r.evidence = Evidence::kWithin;
  }
  return out;
}

}  // namespace mr::analysis
