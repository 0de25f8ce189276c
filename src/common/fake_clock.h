// FakeClock: a Clock for tests. Time moves only when a test calls advance(); waiters whose
// deadline has passed are woken. Wall and monotonic time move together.
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <atomic>
#include <thread>

#include "common/clock.h"

namespace mr {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(SystemTime start = SystemTime(std::chrono::seconds(1'800'000'000)))
      : wall_start_(start) {}

  SystemTime now() const override {
    return wall_start_ + std::chrono::duration_cast<SystemTime::duration>(elapsed());
  }
  SteadyTime steadyNow() const override { return SteadyTime() + elapsed(); }

  // Waits one short real-time slice and returns, so a notify racing the slice's timeout is
  // never lost: callers re-check their predicate (as with spurious wakeups) and call again.
  // Returns false once the fake deadline has passed.
  bool waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 SteadyTime deadline) const override {
    if (steadyNow() >= deadline) return false;
    cv.wait_for(lock, std::chrono::milliseconds(1));
    return steadyNow() < deadline;
  }
  void sleepFor(Millis d) const override {
    const auto deadline = steadyNow() + d;
    while (steadyNow() < deadline) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }

  void advance(std::chrono::nanoseconds d) { elapsed_ns_ += d.count(); }
  void setNow(SystemTime t) {
    elapsed_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(t - wall_start_).count();
  }

 private:
  std::chrono::nanoseconds elapsed() const { return std::chrono::nanoseconds(elapsed_ns_.load()); }

  SystemTime wall_start_;
  std::atomic<long long> elapsed_ns_{0};
};

}  // namespace mr
