#include "common/guarded_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <string>

namespace mr {

std::string currentExceptionMessage() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

int runGuarded(std::string_view what, const std::function<void()>& body,
               const std::function<bool()>& stopping, const Clock& clock, BackoffPolicy policy) {
  Backoff backoff(policy);
  int restarts = 0;
  for (;;) {
    Millis delay{0};
    try {
      body();
      return restarts;
    } catch (...) {
      delay = backoff.next();
      spdlog::error("{}: unexpected exception: {}; restarting in {}ms", what,
                    currentExceptionMessage(), delay.count());
    }
    // Sleep in slices so a stop during the backoff is seen within 100 ms.
    const SteadyTime until = clock.steadyNow() + delay;
    while (!stopping() && clock.steadyNow() < until) {
      clock.sleepFor(std::min<Millis>(
          Millis(100), std::chrono::duration_cast<Millis>(until - clock.steadyNow()) + Millis(1)));
    }
    if (stopping()) return restarts;
    ++restarts;
  }
}

}  // namespace mr
