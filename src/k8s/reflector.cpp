#include "k8s/reflector.h"

#include <spdlog/spdlog.h>

#include "common/guarded_loop.h"
#include "common/json_read.h"
#include "k8s/api_status.h"
#include "k8s/object_key.h"

namespace mr::k8s {

const char* reflectorStateName(Reflector::State state) {
  switch (state) {
    case Reflector::State::kList:
      return "List";
    case Reflector::State::kWatch:
      return "Watch";
    case Reflector::State::kBackoff:
      return "Backoff";
    case Reflector::State::kStopped:
      return "Stopped";
  }
  return "Unknown";
}

Reflector::Reflector(ApiClient& client, ResourceType type, ReflectorOptions options,
                     ReflectorSink& sink, const Clock& clock, RandomSource random)
    : client_(client),
      type_(std::move(type)),
      options_(std::move(options)),
      sink_(sink),
      clock_(clock),
      backoff_(options_.backoff, std::move(random)) {}

Reflector::State Reflector::step() {
  State current;
  {
    std::lock_guard lock(mu_);
    if (cancel_.cancelled) state_ = State::kStopped;
    current = state_;
  }
  State next = current;
  try {
    switch (current) {
      case State::kList:
        next = doList();
        break;
      case State::kWatch:
        next = doWatch();
        break;
      case State::kBackoff:
        next = doBackoff();
        break;
      case State::kStopped:
        break;
    }
  } catch (...) {
    // The reflector thread's top-level handler: an exception from the sink or an event handler
    // (a bug, or input no check anticipated) must not end the process. The store may be
    // half-updated, so start over with a list after the usual backoff.
    next = fail(internalError(type_.plural + ": unexpected exception in " +
                              reflectorStateName(current) + ": " + currentExceptionMessage()),
                State::kList);
  }
  std::lock_guard lock(mu_);
  if (cancel_.cancelled) next = State::kStopped;
  state_ = next;
  return next;
}

void Reflector::run() {
  while (step() != State::kStopped) {
  }
}

void Reflector::stop() {
  std::lock_guard lock(mu_);
  cancel_.cancelled = true;
  cv_.notify_all();
}

Reflector::State Reflector::fail(const Status& error, State then) {
  last_error_ = error;
  const SteadyTime now = clock_.steadyNow();
  // A long failure-free stretch means the server recovered: start the backoff over.
  if (failed_before_ && now - last_failure_ >= options_.backoff_reset) backoff_.reset();
  failed_before_ = true;
  last_failure_ = now;
  std::lock_guard lock(mu_);
  backoff_delay_ = backoff_.next();
  backoff_until_ = now + backoff_delay_;
  after_backoff_ = then;
  // A type that is not served (CRD not installed) or not allowed is reported once at warn;
  // its retries every backoff period then go to debug.
  const bool absent =
      error.code() == StatusCode::kNotFound || error.code() == StatusCode::kPermissionDenied;
  const auto level = absent && absent_reported_ ? spdlog::level::debug : spdlog::level::warn;
  absent_reported_ = absent;
  spdlog::log(level, "{}: {} failed ({}); retrying {} in {}ms", type_.plural,
              then == State::kList ? "list" : "watch", error.toString(), reflectorStateName(then),
              backoff_delay_.count());
  return State::kBackoff;
}

Reflector::State Reflector::doList() {
  ++list_count_;
  sink_.beginList();
  ListOptions list_options;
  list_options.label_selector = options_.label_selector;
  list_options.limit = options_.list_page_size;
  std::string rv;
  do {
    auto page = client_.list(type_, options_.ns, list_options);
    if (!page.isOk()) {
      // An expired continue token means the snapshot is gone: start the list over.
      return fail(page.status().withContext("list " + type_.plural), State::kList);
    }
    Json& body = *page;
    if (!body.is_object()) {
      return fail(internalError("list " + type_.plural + ": response is not a JSON object"),
                  State::kList);
    }
    if (auto it = body.find("items"); it != body.end() && it->is_array()) {
      for (Json& item : *it) {
        if (item.is_object()) sink_.addListItem(std::move(item));  // anything else is skipped
      }
    }
    const Json& meta = jsonObject(body, "metadata");
    rv = jsonString(meta, "resourceVersion");
    list_options.continue_token = jsonString(meta, "continue");
  } while (!list_options.continue_token.empty());
  sink_.endList(rv);
  setResourceVersion(rv);
  return State::kWatch;
}

Reflector::State Reflector::doWatch() {
  ++watch_count_;
  WatchOptions watch_options;
  watch_options.label_selector = options_.label_selector;
  watch_options.resource_version = lastResourceVersion();
  watch_options.allow_bookmarks = true;
  watch_options.timeout_seconds = options_.watch_timeout_seconds;

  const SteadyTime started = clock_.steadyNow();
  int events = 0;
  Status in_stream_error;
  bool expired = false;
  const Status result = client_.watch(
      type_, options_.ns, watch_options,
      [&](const WatchEvent& event) {
        if (expired || !in_stream_error.isOk()) return;  // ignore anything after an ERROR
        ++events;
        if (event.type == WatchEventType::kError) {
          in_stream_error = statusFromStatusObject(event.object);
          expired = in_stream_error.code() == StatusCode::kGone;
          return;
        }
        const std::string rv = resourceVersionOf(event.object);
        if (event.type != WatchEventType::kBookmark) sink_.apply(event.type, event.object);
        if (!rv.empty()) setResourceVersion(rv);
      },
      cancel_);

  if (cancel_.cancelled) return State::kStopped;
  if (expired || result.code() == StatusCode::kGone) {
    // The server no longer has history from our RV: relist at once (client-go does not wait).
    last_error_ = expired ? in_stream_error : result;
    spdlog::info("{}: watch expired at resourceVersion {}; relisting", type_.plural,
                 lastResourceVersion());
    setResourceVersion("");
    return State::kList;
  }
  if (!in_stream_error.isOk()) {
    return fail(in_stream_error.withContext("watch " + type_.plural), State::kList);
  }
  if (!result.isOk()) {
    // Throttling and transport failures keep the store and resume the watch; anything else
    // (403, a malformed stream...) starts over with a list.
    return fail(result.withContext("watch " + type_.plural),
                result.isRetryable() ? State::kWatch : State::kList);
  }
  if (events == 0 && clock_.steadyNow() - started < options_.min_watch_duration) {
    return fail(unavailable("watch " + type_.plural + " ended immediately with no events"),
                State::kWatch);
  }
  return State::kWatch;
}

Reflector::State Reflector::doBackoff() {
  std::unique_lock lock(mu_);
  while (!cancel_.cancelled && clock_.steadyNow() < backoff_until_) {
    clock_.waitUntil(cv_, lock, backoff_until_);
  }
  if (cancel_.cancelled) return State::kStopped;
  return after_backoff_;
}

void Reflector::setResourceVersion(const std::string& rv) {
  std::lock_guard lock(mu_);
  resource_version_ = rv;
}

Reflector::State Reflector::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

Reflector::State Reflector::afterBackoff() const {
  std::lock_guard lock(mu_);
  return after_backoff_;
}

Millis Reflector::currentBackoff() const {
  std::lock_guard lock(mu_);
  return backoff_delay_;
}

std::string Reflector::lastResourceVersion() const {
  std::lock_guard lock(mu_);
  return resource_version_;
}

}  // namespace mr::k8s
