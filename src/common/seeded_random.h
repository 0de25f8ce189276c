// SeededRandom: a specified, deterministic random source for simulations and resampling, so the
// same seed gives the same numbers with any standard library (std::*_distribution is not
// specified and differs between libstdc++ and libc++). Every transform is written here:
//  - next():        SplitMix64 (Steele, Lea, Flood 2014; the constants of Vigna's splitmix64.c).
//  - uniform():     the top 53 bits of next() times 2^-53, in [0, 1).
//  - normal():      Box-Muller with u1 = 1 - uniform() in (0, 1]; both outputs used in turn.
//  - poisson(m):    m < kExactPoissonMean: inversion by sequential search (exact);
//                   otherwise round(m + sqrt(m) * normal()), clamped at 0 (normal approximation).
//  - binomial(n,p): p > 1/2 by symmetry (n - binomial(n, 1 - p)); then if n*p < kExactBinomialMean
//                   inversion by sequential search on the pmf recurrence (exact), else
//                   round(n p + sqrt(n p (1 - p)) * normal()) clamped into [0, n].
//  - gamma(shape):  Marsaglia-Tsang (2000) squeeze method; shape < 1 by the u^(1/shape) boost.
// Only libm's log, exp, sqrt, cos, sin, pow are used beyond integer arithmetic; glibc, musl and
// Apple's libm agree on them to the last bit in practice, and nothing here compares a result
// near a rounding boundary on purpose.
// Thread-safety: not thread-safe; one instance per thread (they are cheap to create).
#pragma once

#include <cstdint>

namespace mr {

class SeededRandom {
 public:
  // Below these means the exact inversion algorithms are used (cost grows with the mean).
  static constexpr double kExactPoissonMean = 200;
  static constexpr double kExactBinomialMean = 50;

  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}

  // SplitMix64 of an arbitrary value: a good way to derive independent seeds.
  static std::uint64_t mix(std::uint64_t x);

  std::uint64_t next();
  double uniform();  // [0, 1), multiples of 2^-53
  double normal();   // standard normal
  // REQUIRES: mean >= 0 (finite).
  std::uint64_t poisson(double mean);
  // REQUIRES: 0 <= p <= 1 (outside is clamped).
  std::uint64_t binomial(std::uint64_t n, double p);
  // Gamma(shape, scale 1). REQUIRES: shape > 0.
  double gamma(double shape);
  // Beta(a, b) as G_a / (G_a + G_b). REQUIRES: a, b > 0.
  double beta(double a, double b);

 private:
  std::uint64_t state_;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0;
};

}  // namespace mr
