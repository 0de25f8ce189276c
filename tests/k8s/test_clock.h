// TestClock: a FakeClock whose waitUntil() returns after each short real-time slice instead
// of looping until the fake deadline. Callers re-check their predicate anyway; this avoids a
// lost wakeup when a notify coincides with FakeClock's internal 1ms poll timing out (the
// waiter would otherwise spin until a fake deadline that never comes).
// Thread-safety: as FakeClock.
#pragma once

#include "common/fake_clock.h"

namespace mr::k8s::testing {

class TestClock final : public Clock {
 public:
  SystemTime now() const override { return fake_.now(); }
  SteadyTime steadyNow() const override { return fake_.steadyNow(); }
  bool waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 SteadyTime deadline) const override {
    if (steadyNow() >= deadline) return false;
    return cv.wait_for(lock, std::chrono::milliseconds(1)) == std::cv_status::no_timeout;
  }
  void sleepFor(Millis d) const override { fake_.sleepFor(d); }
  void advance(std::chrono::nanoseconds d) { fake_.advance(d); }
  void setNow(SystemTime t) { fake_.setNow(t); }

 private:
  FakeClock fake_;
};

}  // namespace mr::k8s::testing
