// WorkQueue: client-go's rate-limited delaying work queue, on an injected Clock.
//  - dirty set: add() of a key already waiting is a no-op (dedupe);
//  - processing set: a key handed out by get() is not handed to another worker until done();
//    if it was added meanwhile, done() puts it back in the queue (re-queue once);
//  - addAfter(): the key becomes ready at now+delay; a pending earlier deadline wins;
//  - addRateLimited(): per-key exponential backoff base*2^n capped at max (n = numRequeues),
//    reset by forget();
//  - shutDown() wakes blocked get() calls (they return nullopt); shutDownWithDrain() also
//    waits until every handed-out key is done().
//  - priorities: add(key, p) hands out keys of higher priority first (FIFO within one); adding a
//    waiting key at a higher priority promotes it. Delayed and rate-limited keys come back at
//    kLow, so timer requeues never delay a user's change or a rollback.
// Delayed keys are promoted by get()/tryGet()/len() themselves, so the queue needs no thread.
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/clock.h"

namespace mr::k8s {

struct RateLimitPolicy {
  Millis base{5};
  Millis max{1000 * 1000};
};

enum class QueuePriority { kLow = 0, kNormal = 1, kHigh = 2 };

class WorkQueue {
 public:
  explicit WorkQueue(const Clock& clock, RateLimitPolicy policy = {});

  void add(const std::string& key, QueuePriority priority = QueuePriority::kNormal);
  void addAfter(const std::string& key, Millis delay);
  void addRateLimited(const std::string& key);
  void forget(const std::string& key);
  int numRequeues(const std::string& key) const;
  // The delay addRateLimited would use next for `key` (without consuming it).
  Millis nextBackoff(const std::string& key) const;

  // Blocks until a key of at least `min_priority` is ready or the queue shuts down (nullopt).
  // A caller with min_priority kHigh is a reserved lane: it never takes routine work.
  std::optional<std::string> get(QueuePriority min_priority = QueuePriority::kLow);
  // Non-blocking get: a ready key of at least `min_priority`, or nullopt.
  std::optional<std::string> tryGet(QueuePriority min_priority = QueuePriority::kLow);
  // REQUIRES: `key` was returned by get()/tryGet() and not yet done.
  void done(const std::string& key);

  void shutDown();
  // Stops handing out keys and waits until all handed-out keys are done.
  void shutDownWithDrain();
  bool shuttingDown() const;

  size_t len() const;         // keys ready to be handed out (the "depth" metric)
  size_t delayedLen() const;  // keys waiting for their addAfter deadline
  size_t processingLen() const;

 private:
  void addLocked(const std::string& key, QueuePriority priority);
  void promoteDueLocked() const;
  std::optional<std::string> popLocked(QueuePriority min_priority);
  void notifyLocked(QueuePriority queued) const;

  const Clock& clock_;
  RateLimitPolicy policy_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;       // waiters for any key
  mutable std::condition_variable high_cv_;  // waiters for kHigh keys only
  // mutable: promotion of due delayed keys happens in const observers too.
  // One FIFO per priority. An entry is live only while dirty_[key] names its level and the key
  // is not processing; promoted keys leave a stale entry behind that popLocked() skips.
  static constexpr int kLevels = 3;
  mutable std::deque<std::string> queues_[kLevels];
  mutable std::unordered_map<std::string, QueuePriority> dirty_;
  std::unordered_set<std::string> processing_;
  mutable std::multimap<SteadyTime, std::string> delayed_;
  mutable std::unordered_map<std::string, SteadyTime> delayed_deadline_;
  std::unordered_map<std::string, int> failures_;
  bool shutting_down_ = false;
};

}  // namespace mr::k8s
