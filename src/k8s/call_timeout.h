// CallTimeout: bounds every ApiClient call the current thread makes while it lives, the way a
// Go context deadline bounds client-go calls. A client that talks to a server (RestClient)
// gives each call at most the time left (DeadlineExceeded after it) instead of its default
// request timeout. Scopes nest; the inner one can only shorten the deadline, never extend it.
// The budget is real (steady_clock) time because it bounds socket waits; budget() reports the
// budget as requested so fakes driven by a FakeClock can check what a caller asked for.
// Thread-safety: the scope is per thread (thread_local); create and destroy on one thread.
#pragma once

#include <chrono>
#include <optional>

namespace mr::k8s {

class CallTimeout {
 public:
  explicit CallTimeout(std::chrono::milliseconds budget);
  ~CallTimeout();
  CallTimeout(const CallTimeout&) = delete;
  CallTimeout& operator=(const CallTimeout&) = delete;

  // Time left for this thread's calls (may be <= 0); nullopt outside any scope.
  static std::optional<std::chrono::milliseconds> remaining();
  // The budget the binding (innermost effective) scope was created with; nullopt outside.
  static std::optional<std::chrono::milliseconds> budget();

 private:
  struct Bound {
    std::chrono::steady_clock::time_point deadline;
    std::chrono::milliseconds budget;
  };
  std::optional<Bound> previous_;
  static thread_local std::optional<Bound> current_;
};

}  // namespace mr::k8s
