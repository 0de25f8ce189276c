// ScriptedApiClient: an ApiClient for k8s runtime tests. list() and watch() replay scripted
// results in order (and record the options they were called with); when no watch script is
// left, watch() blocks until cancelled, like an idle stream. get/create/update/patch/remove
// act on an in-memory object map with resourceVersion checks (409 on a stale update), and a
// test can inject a failure for the next call of a verb. get/create/update/patch/remove record
// the calling thread's CallTimeout budget and first run an optional hook (e.g. one advancing a
// fake clock to play a slow call).
// Thread-safety: all methods lock one mutex; scripts may be appended while a reflector runs.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "k8s/api_client.h"
#include "k8s/call_timeout.h"

namespace mr::k8s::testing {

struct WatchScript {
  std::vector<WatchEvent> events;
  Status end;  // what watch() returns after the events
};

inline Json makeObject(const std::string& ns, const std::string& name, const std::string& rv,
                       Json labels = Json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata",
           {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}, {"labels", labels}}}};
}

inline Json makeList(std::vector<Json> items, const std::string& rv) {
  return {{"kind", "List"}, {"metadata", {{"resourceVersion", rv}}}, {"items", items}};
}

inline WatchEvent event(WatchEventType type, Json object) {
  return {type, std::move(object)};
}

inline WatchEvent bookmark(const std::string& rv) {
  return {WatchEventType::kBookmark,
          {{"kind", "ConfigMap"}, {"metadata", {{"resourceVersion", rv}}}}};
}

inline WatchEvent expiredEvent() {
  return {WatchEventType::kError,
          {{"kind", "Status"},
           {"apiVersion", "v1"},
           {"status", "Failure"},
           {"message", "too old resource version"},
           {"reason", "Expired"},
           {"code", 410}}};
}

class ScriptedApiClient : public ApiClient {
 public:
  // --- scripting ---
  void pushList(Result<Json> result) {
    std::lock_guard lock(mu_);
    lists_.push_back(std::move(result));
  }
  void pushWatch(WatchScript script) {
    std::lock_guard lock(mu_);
    watches_.push_back(std::move(script));
  }
  void failNext(const std::string& verb, Status status) {
    std::lock_guard lock(mu_);
    failures_[verb].push_back(std::move(status));
  }
  void put(const ResourceType& type, Json object) {
    std::lock_guard lock(mu_);
    object["metadata"]["resourceVersion"] = std::to_string(++rv_);
    objects_[keyOf(type, object)] = object;
  }
  std::optional<Json> stored(const ResourceType& type, const std::string& ns,
                             const std::string& name) {
    std::lock_guard lock(mu_);
    auto it = objects_.find(type.plural + "/" + (type.namespaced ? ns : "") + "/" + name);
    if (it == objects_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<ListOptions> listCalls() {
    std::lock_guard lock(mu_);
    return list_calls_;
  }
  std::vector<WatchOptions> watchCalls() {
    std::lock_guard lock(mu_);
    return watch_calls_;
  }
  // Runs at the start of get/create/update/patch/remove (outside the lock), with the verb.
  void setOnCall(std::function<void(const std::string&)> hook) {
    std::lock_guard lock(mu_);
    on_call_ = std::move(hook);
  }
  // verb + CallTimeout::budget() of every get/create/update/patch/remove, in order.
  std::vector<std::pair<std::string, std::optional<Millis>>> budgets() {
    std::lock_guard lock(mu_);
    return budgets_;
  }
  // verb + body of every write, in order.
  std::vector<std::pair<std::string, Json>> writes() {
    std::lock_guard lock(mu_);
    return writes_;
  }

  // --- ApiClient ---
  Result<Json> get(const ResourceType& type, const std::string& ns,
                   const std::string& name) override {
    beginCall("get");
    std::lock_guard lock(mu_);
    if (auto f = takeFailure("get")) return *f;
    auto it = objects_.find(type.plural + "/" + (type.namespaced ? ns : "") + "/" + name);
    if (it == objects_.end())
      return Status(StatusCode::kNotFound, name + " not found", 404, "NotFound");
    return it->second;
  }
  Result<Json> list(const ResourceType&, const std::string&, const ListOptions& options) override {
    std::lock_guard lock(mu_);
    list_calls_.push_back(options);
    if (lists_.empty()) return unavailable("no scripted list");
    Result<Json> r = std::move(lists_.front());
    lists_.pop_front();
    return r;
  }
  Result<Json> create(const ResourceType& type, const std::string& ns,
                      const Json& object) override {
    beginCall("create");
    std::lock_guard lock(mu_);
    writes_.push_back({"create", object});
    if (auto f = takeFailure("create")) return *f;
    Json copy = object;
    if (type.namespaced && !ns.empty()) copy["metadata"]["namespace"] = ns;
    const std::string key = keyOf(type, copy);
    if (objects_.count(key))
      return Status(StatusCode::kAlreadyExists, "exists", 409, "AlreadyExists");
    copy["metadata"]["resourceVersion"] = std::to_string(++rv_);
    objects_[key] = copy;
    return copy;
  }
  Result<Json> update(const ResourceType& type, const Json& object) override {
    beginCall("update");
    std::lock_guard lock(mu_);
    writes_.push_back({"update", object});
    if (auto f = takeFailure("update")) return *f;
    const std::string key = keyOf(type, object);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status(StatusCode::kNotFound, "not found", 404, "NotFound");
    if (it->second["metadata"]["resourceVersion"] != object["metadata"]["resourceVersion"]) {
      return Status(StatusCode::kConflict, "the object has been modified", 409, "Conflict");
    }
    Json copy = object;
    copy["metadata"]["resourceVersion"] = std::to_string(++rv_);
    it->second = copy;
    return copy;
  }
  Result<Json> updateStatus(const ResourceType& type, const Json& object) override {
    return update(type, object);
  }
  Result<Json> patch(const ResourceType& type, const std::string& ns, const std::string& name,
                     PatchType, const Json& patch, const std::string&) override {
    beginCall("patch");
    std::lock_guard lock(mu_);
    writes_.push_back({"patch", patch});
    if (auto f = takeFailure("patch")) return *f;
    auto it = objects_.find(type.plural + "/" + (type.namespaced ? ns : "") + "/" + name);
    if (it == objects_.end()) return Status(StatusCode::kNotFound, "not found", 404, "NotFound");
    it->second.merge_patch(patch);
    it->second["metadata"]["resourceVersion"] = std::to_string(++rv_);
    return it->second;
  }
  Status remove(const ResourceType& type, const std::string& ns, const std::string& name) override {
    beginCall("delete");
    std::lock_guard lock(mu_);
    writes_.push_back({"delete", Json{{"name", name}}});
    if (auto f = takeFailure("delete")) return *f;
    if (!objects_.erase(type.plural + "/" + (type.namespaced ? ns : "") + "/" + name)) {
      return Status(StatusCode::kNotFound, "not found", 404, "NotFound");
    }
    return Status::ok();
  }
  Status watch(const ResourceType&, const std::string&, const WatchOptions& options,
               const std::function<void(const WatchEvent&)>& on_event,
               const CancelToken& cancel) override {
    WatchScript script;
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (!watches_.empty()) {
          watch_calls_.push_back(options);
          script = std::move(watches_.front());
          watches_.pop_front();
          break;
        }
      }
      if (cancel.cancelled) return Status::ok();
      RealClock::instance().sleepFor(Millis(2));
    }
    for (const WatchEvent& e : script.events) {
      if (cancel.cancelled) return Status::ok();
      on_event(e);
    }
    return script.end;
  }

 private:
  void beginCall(const std::string& verb) {
    std::function<void(const std::string&)> hook;
    {
      std::lock_guard lock(mu_);
      budgets_.emplace_back(verb, CallTimeout::budget());
      hook = on_call_;
    }
    if (hook) hook(verb);
  }
  std::string keyOf(const ResourceType& type, const Json& object) const {
    const Json& meta = object["metadata"];
    return type.plural + "/" + (type.namespaced ? meta.value("namespace", "") : "") + "/" +
           meta.value("name", "");
  }
  std::optional<Status> takeFailure(const std::string& verb) {
    auto it = failures_.find(verb);
    if (it == failures_.end() || it->second.empty()) return std::nullopt;
    Status s = it->second.front();
    it->second.pop_front();
    return s;
  }

  std::mutex mu_;
  std::deque<Result<Json>> lists_;
  std::deque<WatchScript> watches_;
  std::vector<ListOptions> list_calls_;
  std::vector<WatchOptions> watch_calls_;
  std::map<std::string, std::deque<Status>> failures_;
  std::map<std::string, Json> objects_;
  std::vector<std::pair<std::string, Json>> writes_;
  std::function<void(const std::string&)> on_call_;
  std::vector<std::pair<std::string, std::optional<Millis>>> budgets_;
  long rv_ = 100;
};

}  // namespace mr::k8s::testing
