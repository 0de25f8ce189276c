#include "common/backoff.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace mr {

RandomSource defaultRandomSource() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

Backoff::Backoff(BackoffPolicy policy, RandomSource random)
    : policy_(policy), random_(std::move(random)) {}

std::chrono::milliseconds Backoff::next() {
  const double base = static_cast<double>(policy_.initial.count()) *
                      std::pow(policy_.factor, std::min(attempts_, 62));
  const double capped = std::min(base, static_cast<double>(policy_.max.count()));
  ++attempts_;
  const double jittered = capped * (1.0 + policy_.jitter * random_());
  return std::chrono::milliseconds(static_cast<long long>(
      std::min(jittered, static_cast<double>(policy_.max.count()) * (1.0 + policy_.jitter))));
}

}  // namespace mr
