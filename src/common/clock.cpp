#include "common/clock.h"

#include <thread>

namespace mr {

void RealClock::sleepFor(Millis d) const { std::this_thread::sleep_for(d); }

const RealClock& RealClock::instance() {
  static const RealClock clock;
  return clock;
}

}  // namespace mr
