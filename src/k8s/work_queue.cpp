#include "k8s/work_queue.h"

#include <algorithm>
#include <cmath>

namespace mr::k8s {

WorkQueue::WorkQueue(const Clock& clock, RateLimitPolicy policy) : clock_(clock), policy_(policy) {}

namespace {
int level(QueuePriority p) {
  return static_cast<int>(p);
}
}  // namespace

void WorkQueue::add(const std::string& key, QueuePriority priority) {
  std::lock_guard lock(mu_);
  addLocked(key, priority);
}

void WorkQueue::addLocked(const std::string& key, QueuePriority priority) {
  if (shutting_down_) return;
  auto it = dirty_.find(key);
  if (it != dirty_.end()) {
    if (level(it->second) >= level(priority)) return;
    it->second = priority;  // promote; the lower entry goes stale
  } else {
    dirty_.emplace(key, priority);
  }
  // A key being processed is re-queued by done(); queueing it now would let a second worker
  // pick it up concurrently.
  if (processing_.count(key)) return;
  queues_[level(priority)].push_back(key);
  notifyLocked(priority);
}

void WorkQueue::notifyLocked(QueuePriority queued) const {
  // Separate condition variables, so waking a reserved kHigh waiter for a routine key can
  // never use up the notification a general waiter needed.
  if (queued == QueuePriority::kHigh) high_cv_.notify_one();
  cv_.notify_one();
}

void WorkQueue::addAfter(const std::string& key, Millis delay) {
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  if (delay <= Millis(0)) {
    addLocked(key, QueuePriority::kLow);
    return;
  }
  const SteadyTime deadline = clock_.steadyNow() + delay;
  auto existing = delayed_deadline_.find(key);
  if (existing != delayed_deadline_.end()) {
    if (existing->second <= deadline) return;  // the earlier deadline wins
    auto range = delayed_.equal_range(existing->second);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second == key) {
        delayed_.erase(it);
        break;
      }
    }
  }
  delayed_deadline_[key] = deadline;
  delayed_.emplace(deadline, key);
  cv_.notify_all();  // a waiter may need to shorten its sleep
}

Millis WorkQueue::nextBackoff(const std::string& key) const {
  auto it = failures_.find(key);
  const int n = it == failures_.end() ? 0 : it->second;
  const double delay = static_cast<double>(policy_.base.count()) * std::pow(2.0, std::min(n, 62));
  return Millis(static_cast<long long>(std::min(delay, static_cast<double>(policy_.max.count()))));
}

void WorkQueue::addRateLimited(const std::string& key) {
  Millis delay;
  {
    std::lock_guard lock(mu_);
    delay = nextBackoff(key);
    ++failures_[key];
  }
  addAfter(key, delay);
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int WorkQueue::numRequeues(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::promoteDueLocked() const {
  const SteadyTime now = clock_.steadyNow();
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    delayed_deadline_.erase(key);
    if (shutting_down_ || dirty_.count(key)) continue;
    dirty_.emplace(key, QueuePriority::kLow);
    if (!processing_.count(key)) queues_[level(QueuePriority::kLow)].push_back(key);
  }
}

std::optional<std::string> WorkQueue::popLocked(QueuePriority min_priority) {
  promoteDueLocked();
  for (int l = kLevels - 1; l >= level(min_priority); --l) {
    auto& queue = queues_[l];
    while (!queue.empty()) {
      std::string key = std::move(queue.front());
      queue.pop_front();
      auto it = dirty_.find(key);
      if (it == dirty_.end() || level(it->second) != l || processing_.count(key)) continue;
      dirty_.erase(it);
      processing_.insert(key);
      return key;
    }
  }
  return std::nullopt;
}

std::optional<std::string> WorkQueue::tryGet(QueuePriority min_priority) {
  std::lock_guard lock(mu_);
  if (shutting_down_) return std::nullopt;
  return popLocked(min_priority);
}

std::optional<std::string> WorkQueue::get(QueuePriority min_priority) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (shutting_down_) return std::nullopt;
    if (auto key = popLocked(min_priority)) return key;
    if (min_priority == QueuePriority::kHigh) {
      high_cv_.wait(lock);  // delayed keys come back at kLow: nothing to wait for
    } else if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      clock_.waitUntil(cv_, lock, delayed_.begin()->first);
    }
  }
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (auto it = dirty_.find(key); it != dirty_.end() && !shutting_down_) {
    queues_[level(it->second)].push_back(key);
    notifyLocked(it->second);
  }
  if (processing_.empty()) cv_.notify_all();  // a draining shutdown may be waiting
}

void WorkQueue::shutDown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
  high_cv_.notify_all();
}

void WorkQueue::shutDownWithDrain() {
  std::unique_lock lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
  high_cv_.notify_all();
  cv_.wait(lock, [&] { return processing_.empty(); });
}

bool WorkQueue::shuttingDown() const {
  std::lock_guard lock(mu_);
  return shutting_down_;
}

size_t WorkQueue::len() const {
  std::lock_guard lock(mu_);
  promoteDueLocked();
  size_t waiting_in_processing = 0;
  for (const std::string& key : processing_)
    waiting_in_processing += dirty_.count(key);
  return dirty_.size() - waiting_in_processing;
}

size_t WorkQueue::delayedLen() const {
  std::lock_guard lock(mu_);
  promoteDueLocked();
  return delayed_.size();
}

size_t WorkQueue::processingLen() const {
  std::lock_guard lock(mu_);
  return processing_.size();
}

}  // namespace mr::k8s
