// runGuarded: the top-level handler of a long-lived thread. An exception escaping the thread's
// loop would call std::terminate and end the whole process (issue 15: a wrong-typed field in an
// API object did exactly that); instead it is logged at error level, naming the thread, and the
// loop is started again after a backoff (1 s doubling to 30 s by default), unless the owner is
// stopping by then. Loops that can recover per item (a reconcile, a check, an Event) catch there
// as well; this is the last line for everything else.
// Thread-safety: runs on the calling thread; `stopping` is polled from it.
#pragma once

#include <functional>
#include <string_view>

#include "common/backoff.h"
#include "common/clock.h"

namespace mr {

// Runs `body` until it returns normally or `stopping()` is true after a failure. Returns how
// many times `body` was restarted after an exception.
int runGuarded(std::string_view what, const std::function<void()>& body,
               const std::function<bool()>& stopping, const Clock& clock,
               BackoffPolicy policy = {Millis(1000), Millis(30000), 2.0, 0.1});

// The message of the exception being handled ("unknown exception" for a non-std one).
// REQUIRES: called inside a catch block.
std::string currentExceptionMessage();

}  // namespace mr
