#include "k8s/event_recorder.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "common/guarded_loop.h"
#include "common/json_read.h"
#include "common/time_format.h"

namespace mr::k8s {

EventRecorder::EventRecorder(ApiClient& client, const Clock& clock, EventRecorderOptions options)
    : client_(client), clock_(clock), options_(std::move(options)) {
  thread_ = std::thread([this] { loop(); });
}

EventRecorder::~EventRecorder() {
  stop();
}

bool EventRecorder::record(const Json& object, EventType type, const std::string& reason,
                           const std::string& message) {
  const Json& meta = jsonObject(object, "metadata");
  Json involved = {{"apiVersion", jsonString(object, "apiVersion")},
                   {"kind", jsonString(object, "kind")},
                   {"name", jsonString(meta, "name")},
                   {"namespace", jsonString(meta, "namespace", "default")}};
  if (const Json* uid = jsonMember(meta, "uid"); uid && uid->is_string()) involved["uid"] = *uid;
  if (const Json* rv = jsonMember(meta, "resourceVersion"); rv && rv->is_string()) {
    involved["resourceVersion"] = *rv;
  }
  std::lock_guard lock(mu_);
  if (stopping_ || queue_.size() >= options_.max_queued) {
    ++dropped_;
    return false;
  }
  queue_.push_back({std::move(involved), type, reason, message.substr(0, 1024), clock_.now()});
  cv_.notify_all();
  return true;
}

void EventRecorder::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    Pending pending = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    try {
      write(pending);
    } catch (...) {  // the writer thread's top-level handler: drop this Event, keep the thread
      spdlog::error("event {}: unexpected exception: {}", pending.reason,
                    currentExceptionMessage());
    }
    lock.lock();
    busy_ = false;
    ++written_;
    cv_.notify_all();
  }
}

// Retries transient failures (5xx, 429, transport, timeouts) a few times with backoff on the
// writer thread, so a flaky API server loses no Event; other errors are final.
template <typename Call>
auto EventRecorder::withRetries(Call call) -> decltype(call()) {
  Backoff backoff(kEventRetryBackoff);
  auto result = call();
  for (int attempt = 1;
       attempt < kEventWriteAttempts && !result.isOk() && result.status().isRetryable();
       ++attempt) {
    clock_.sleepFor(backoff.next());
    result = call();
  }
  return result;
}

void EventRecorder::write(const Pending& p) {
  const std::string type = p.type == EventType::kWarning ? "Warning" : "Normal";
  const std::string ns = p.involved.value("namespace", "default");
  const std::string key = p.involved.value("kind", "") + "/" + ns + "/" +
                          p.involved.value("name", "") + "/" + p.involved.value("uid", "") + "/" +
                          type + "/" + p.reason + "/" + p.message;
  const std::string now = formatRfc3339(p.at);

  if (auto it = cache_.find(key); it != cache_.end()) {
    Aggregate& agg = it->second;
    const Json patch = {{"count", agg.count + 1}, {"lastTimestamp", now}};
    auto patched = withRetries([&] {
      return client_.patch(resources::coreEvents(), agg.ns, agg.event_name, PatchType::kMerge,
                           patch);
    });
    if (patched.isOk()) {
      ++agg.count;
      lru_.splice(lru_.begin(), lru_, agg.lru);
      return;
    }
    if (patched.status().code() != StatusCode::kNotFound) {
      spdlog::warn("event {}: {}", p.reason, patched.status().toString());
      return;
    }
    lru_.erase(agg.lru);
    cache_.erase(it);  // the Event expired server-side: start a new one
  }

  char suffix[24];
  snprintf(
      suffix, sizeof suffix, "%llx",
      static_cast<unsigned long long>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(p.at.time_since_epoch()).count()) +
          sequence_++);
  const std::string name = p.involved.value("name", "object") + "." + suffix;
  const Json event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"involvedObject", p.involved},
      {"reason", p.reason},
      {"message", p.message},
      {"type", type},
      {"source", {{"component", options_.component}, {"host", options_.host}}},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"count", 1},
      {"reportingComponent", options_.component},
      {"reportingInstance", options_.host},
  };
  auto created = withRetries([&] { return client_.create(resources::coreEvents(), ns, event); });
  if (!created.isOk()) {
    spdlog::warn("event {}: {}", p.reason, created.status().toString());
    return;
  }
  lru_.push_front(key);
  cache_[key] = Aggregate{name, ns, 1, now, lru_.begin()};
  while (cache_.size() > options_.max_cached) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
}

void EventRecorder::flush() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return (queue_.empty() && !busy_) || !thread_.joinable(); });
}

void EventRecorder::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t EventRecorder::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

uint64_t EventRecorder::written() const {
  std::lock_guard lock(mu_);
  return written_;
}

}  // namespace mr::k8s
