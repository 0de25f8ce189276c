// Exponential backoff with jitter and an injected random source, so retry timing is assertable.
// next() returns base*factor^n (capped), plus up to `jitter` fraction more; reset() starts over.
// Thread-safety: not thread-safe; one instance per retry loop.
#pragma once

#include <chrono>
#include <functional>

namespace mr {

// Returns a uniformly distributed double in [0, 1).
using RandomSource = std::function<double()>;
RandomSource defaultRandomSource();

struct BackoffPolicy {
  std::chrono::milliseconds initial{800};
  std::chrono::milliseconds max{30000};
  double factor = 2.0;
  double jitter = 0.1;  // fraction of the delay added at random
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy, RandomSource random = defaultRandomSource());
  std::chrono::milliseconds next();
  void reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  BackoffPolicy policy_;
  RandomSource random_;
  int attempts_ = 0;
};

}  // namespace mr
