#include "common/seeded_random.h"

#include <algorithm>
#include <cmath>

namespace mr {

namespace {
constexpr double kTwoPi = 6.283185307179586476925286766559;
}  // namespace

std::uint64_t SeededRandom::mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t SeededRandom::next() {
  const std::uint64_t out = mix(state_);
  state_ += 0x9E3779B97F4A7C15ULL;
  return out;
}

double SeededRandom::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double SeededRandom::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  spare_normal_ = r * std::sin(kTwoPi * u2);
  has_spare_normal_ = true;
  return r * std::cos(kTwoPi * u2);
}

std::uint64_t SeededRandom::poisson(double mean) {
  if (!(mean > 0)) return 0;
  if (mean >= kExactPoissonMean) {
    const double x = std::round(mean + std::sqrt(mean) * normal());
    return x <= 0 ? 0 : static_cast<std::uint64_t>(x);
  }
  // Inversion: the smallest k with F(k) >= u. The cap ends the search should rounding leave
  // F just below u near 1 (probability of k beyond it is negligible).
  const double u = uniform();
  double p = std::exp(-mean);
  double f = p;
  std::uint64_t k = 0;
  const std::uint64_t cap = static_cast<std::uint64_t>(mean + 40 * std::sqrt(mean) + 40);
  while (u >= f && k < cap) {
    ++k;
    p *= mean / static_cast<double>(k);
    f += p;
  }
  return k;
}

std::uint64_t SeededRandom::binomial(std::uint64_t n, double p) {
  if (n == 0 || !(p > 0)) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(n, 1.0 - p);
  const double nd = static_cast<double>(n);
  const double mean = nd * p;
  if (mean >= kExactBinomialMean) {
    const double x = std::round(mean + std::sqrt(mean * (1.0 - p)) * normal());
    return static_cast<std::uint64_t>(std::clamp(x, 0.0, nd));
  }
  // Inversion on P(k+1) = P(k) (n-k)/(k+1) p/(1-p), starting from (1-p)^n (>= e^-2mean > 0).
  const double u = uniform();
  const double ratio = p / (1.0 - p);
  double pk = std::exp(nd * std::log1p(-p));
  double f = pk;
  std::uint64_t k = 0;
  while (u >= f && k < n) {
    pk *= static_cast<double>(n - k) / static_cast<double>(k + 1) * ratio;
    ++k;
    f += pk;
    if (pk <= 0) break;  // far tail: rounding left f < u
  }
  return k;
}

double SeededRandom::gamma(double shape) {
  if (shape < 1.0) {
    const double u = 1.0 - uniform();
    return gamma(shape + 1.0) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = 1.0 - uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

double SeededRandom::beta(double a, double b) {
  const double x = gamma(a);
  const double y = gamma(b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

}  // namespace mr
