// EventRecorder: writes core/v1 Events (what `kubectl describe` shows) without blocking the
// caller. record() only appends to a bounded queue (dropping, and counting, when full); one
// background thread writes. Repeats of the same (object, type, reason, message) are
// aggregated client-side: the first creates an Event, later ones PATCH its count and
// lastTimestamp (a vanished Event is created again). The aggregation cache is bounded (oldest
// entries evicted). Messages are cut to 1024 bytes. Transient write failures (5xx, 429,
// transport) are retried up to 6 times with backoff (100 ms doubling, about 3 s in all).
// Thread-safety: record() from any thread; stop() once, from the owner.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "common/backoff.h"
#include "common/clock.h"
#include "k8s/api_client.h"

namespace mr::k8s {

struct EventRecorderOptions {
  std::string component = "modelrollout-controller";
  std::string host;
  size_t max_queued = 1000;
  size_t max_cached = 4096;
};

enum class EventType { kNormal, kWarning };

class EventRecorder {
 public:
  EventRecorder(ApiClient& client, const Clock& clock, EventRecorderOptions options = {});
  ~EventRecorder();

  // `object` is the involved object (needs apiVersion, kind, metadata.name/namespace/uid).
  // Returns false if the event was dropped because the queue is full.
  bool record(const Json& object, EventType type, const std::string& reason,
              const std::string& message);
  // Writes what is queued, then stops the writer thread.
  void stop();
  // Blocks until the queue is empty and the writer is idle (tests, shutdown).
  void flush();

  uint64_t dropped() const;
  uint64_t written() const;

 private:
  struct Pending {
    Json involved;  // an ObjectReference
    EventType type;
    std::string reason, message;
    SystemTime at;
  };
  struct Aggregate {
    std::string event_name, ns;
    int count = 0;
    std::string first_timestamp;
    std::list<std::string>::iterator lru;
  };

  void loop();
  void write(const Pending& pending);
  template <typename Call>
  auto withRetries(Call call) -> decltype(call());

  static constexpr int kEventWriteAttempts = 6;
  static constexpr BackoffPolicy kEventRetryBackoff{Millis(100), Millis(2000), 2.0, 0.2};

  ApiClient& client_;
  const Clock& clock_;
  EventRecorderOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  bool busy_ = false;
  uint64_t dropped_ = 0;
  uint64_t written_ = 0;
  // Writer-thread only.
  std::unordered_map<std::string, Aggregate> cache_;
  std::list<std::string> lru_;  // front = most recent
  uint64_t sequence_ = 0;
  std::thread thread_;
};

}  // namespace mr::k8s
