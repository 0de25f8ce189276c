// Clock: the one way code reads time or waits (STYLE.md, "Time is injected").
// RealClock uses the system and steady clocks; tests use FakeClock (fake_clock.h) and advance it.
// Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace mr {

using SystemTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for timestamps written to the API (stepStartedAt, events).
  virtual SystemTime now() const = 0;
  // Monotonic time, for timeouts, deadlines and backoff.
  virtual SteadyTime steadyNow() const = 0;
  // Blocks until `deadline` (monotonic) or until `cv` is notified, whichever comes first.
  // REQUIRES: `lock` holds the mutex `cv` waits with. Returns false on timeout.
  virtual bool waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                         SteadyTime deadline) const = 0;
  // Sleeps for `d` (monotonic).
  virtual void sleepFor(Millis d) const = 0;
};

class RealClock final : public Clock {
 public:
  SystemTime now() const override { return std::chrono::system_clock::now(); }
  SteadyTime steadyNow() const override { return std::chrono::steady_clock::now(); }
  bool waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 SteadyTime deadline) const override {
    return cv.wait_until(lock, deadline) == std::cv_status::no_timeout;
  }
  void sleepFor(Millis d) const override;

  // A process-wide instance for production wiring.
  static const RealClock& instance();
};

}  // namespace mr
