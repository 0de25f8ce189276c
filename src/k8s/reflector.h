// Reflector: the list/watch state machine that keeps a ReflectorSink (the informer store)
// in step with the API server, as client-go's Reflector and kube-rs's watcher do.
//
//   kList ----ok----> kWatch ----stream ended (healthy)----> kWatch (from last RV)
//     |                 |-- 410 / Expired ------------------> kList (immediately, RV "")
//     |                 |-- retryable (429, 5xx, refused) --> kBackoff -> kWatch (no relist)
//     |                 |-- other error / ERROR event ------> kBackoff -> kList
//     |                 '-- ended <1s with no events -------> kBackoff -> kWatch
//     '---error---> kBackoff -> kList
//
// The last resourceVersion advances with every event and every BOOKMARK. Backoff is
// mr::Backoff (800ms..30s, x2, jitter), reset once no failure happened for `backoff_reset`.
// step() performs exactly one transition, so tests drive it state by state; run() loops.
// Thread-safety: step()/run() from one thread; stop() and the observers from any thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "common/backoff.h"
#include "common/clock.h"
#include "k8s/api_client.h"

namespace mr::k8s {

// Receives the reflector's view. Called from the reflector's thread only.
class ReflectorSink {
 public:
  virtual ~ReflectorSink() = default;
  // A full list: replaces the store. Objects missing from `items` were deleted.
  virtual void replace(std::vector<Json> items, const std::string& resource_version) = 0;
  // The reflector streams a list page by page: beginList, addListItem per item, endList once
  // the last page arrived (a failed list is simply begun again). The defaults collect the
  // items and call replace(); a sink may override them to shrink items as they arrive.
  virtual void beginList() { pending_.clear(); }
  virtual void addListItem(Json item) { pending_.push_back(std::move(item)); }
  virtual void endList(const std::string& resource_version) {
    replace(std::move(pending_), resource_version);
    pending_.clear();
  }
  // ADDED / MODIFIED / DELETED (never BOOKMARK or ERROR).
  virtual void apply(WatchEventType type, Json object) = 0;

 private:
  std::vector<Json> pending_;  // the default list streaming collects here
};

struct ReflectorOptions {
  std::string ns;              // "" = all namespaces
  std::string label_selector;  // server-side filter
  int watch_timeout_seconds = 290;
  int list_page_size = 500;
  BackoffPolicy backoff{Millis(800), Millis(30000), 2.0, 0.1};
  Millis backoff_reset{120000};
  Millis min_watch_duration{1000};  // shorter watches with no events count as failures
};

class Reflector {
 public:
  enum class State { kList, kWatch, kBackoff, kStopped };

  Reflector(ApiClient& client, ResourceType type, ReflectorOptions options, ReflectorSink& sink,
            const Clock& clock, RandomSource random = defaultRandomSource());

  // Performs the current state's action and moves to the next state; returns it.
  State step();
  // Loops step() until stop().
  void run();
  // Ends run() and interrupts a watch or backoff in progress.
  void stop();

  State state() const;
  // The state kBackoff will move to when its delay has passed.
  State afterBackoff() const;
  Millis currentBackoff() const;
  std::string lastResourceVersion() const;
  const Status& lastError() const { return last_error_; }
  int listCount() const { return list_count_; }
  int watchCount() const { return watch_count_; }

 private:
  State doList();
  State doWatch();
  State doBackoff();
  State fail(const Status& error, State then);
  void setResourceVersion(const std::string& rv);

  ApiClient& client_;
  ResourceType type_;
  ReflectorOptions options_;
  ReflectorSink& sink_;
  const Clock& clock_;
  Backoff backoff_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::kList;
  State after_backoff_ = State::kList;
  Millis backoff_delay_{0};
  SteadyTime backoff_until_{};
  SteadyTime last_failure_{};
  bool failed_before_ = false;
  bool absent_reported_ = false;  // the last failure was NotFound/Forbidden, already at warn
  std::string resource_version_;
  CancelToken cancel_;
  Status last_error_;
  int list_count_ = 0;
  int watch_count_ = 0;
};

const char* reflectorStateName(Reflector::State state);

}  // namespace mr::k8s
