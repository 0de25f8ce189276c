// In-memory object storage with a global monotonic resourceVersion and a bounded event
// history that watches read from (like etcd with compaction).
// Objects are immutable shared JSON values; a write replaces the pointer. Every committed write
// stamps metadata.resourceVersion and appends one event (ADDED/MODIFIED/DELETED) to the history.
// When the history exceeds its bound, the oldest events are dropped and watches starting before
// them get 410 Expired.
// Thread-safety: all methods are safe from any thread (one mutex; mutate callbacks run under it,
// so they must not call back into the store).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace mr::apiserver {

using json = nlohmann::json;
using ObjPtr = std::shared_ptr<const json>;

struct WatchEvent {
  int64_t rv = 0;
  std::string type;      // ADDED | MODIFIED | DELETED
  std::string resource;  // ResourceType::key()
  std::string ns;
  ObjPtr object;
  ObjPtr previous;  // MODIFIED: the state before, so selector watches can emit ADDED/DELETED
};
using EventPtr = std::shared_ptr<const WatchEvent>;

// What a mutate callback decides.
struct Mutation {
  enum class Kind { kNone, kPut, kDelete } kind = Kind::kNone;
  json object;  // for kPut: the new object (resourceVersion is stamped by the store)
};

struct ListPage {
  std::vector<ObjPtr> items;
  int64_t rv = 0;
  std::string next_key;  // non-empty when more items follow
  int64_t remaining = 0;
};

class ObjectStore {
 public:
  ObjectStore(const Clock& clock, size_t history_size);

  ObjPtr get(const std::string& resource, const std::string& ns, const std::string& name) const;

  // Atomically reads the current object (null if absent) and applies the callback's decision.
  // Returns the committed object (for kDelete: the last state stamped with the deletion RV;
  // for kNone: the current object). Errors from the callback are returned unchanged.
  using MutateFn = std::function<Result<Mutation>(const ObjPtr& current)>;
  Result<ObjPtr> mutate(const std::string& resource, const std::string& ns, const std::string& name,
                        const MutateFn& fn);

  // Objects of `resource` in `ns` ("" = all) with key > `after_key`, filtered, at most `limit`
  // (0 = all).
  ListPage list(const std::string& resource, const std::string& ns, const std::string& after_key,
                size_t limit, const std::function<bool(const json&)>& filter) const;

  // Keys ("resource|ns|name") of objects that list `uid` in their ownerReferences.
  std::vector<std::tuple<std::string, std::string, std::string>> ownedBy(
      const std::string& uid) const;
  // All (ns, name) of one resource.
  std::vector<std::pair<std::string, std::string>> keysOf(const std::string& resource) const;

  int64_t currentRv() const;
  size_t objectCount() const;

  // Watch support. Waits until events after `from_rv` exist or `deadline` passes, then returns
  // them (up to `max`). `expired` is set when `from_rv` predates the retained history.
  std::vector<EventPtr> eventsAfter(int64_t from_rv, SteadyTime deadline, size_t max, bool& expired,
                                    int64_t& head_rv) const;
  // Wakes all waiting watches (used on shutdown and fault changes).
  void wakeAll() const;
  // Drops all retained history (fault injection: "compact").
  void compact();
  int64_t oldestRetainedRv() const;

 private:
  using ObjectMap = std::map<std::string, ObjPtr>;  // "ns/name" -> object, sorted for paging
  void indexOwners(const std::string& id, const json* old_obj, const json* new_obj);

  const Clock& clock_;
  size_t history_size_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::unordered_map<std::string, ObjectMap> objects_;
  std::unordered_map<std::string, std::set<std::string>> owner_index_;  // uid -> ids
  std::deque<EventPtr> history_;
  int64_t rv_ = 0;
  int64_t compacted_rv_ = 0;  // watches from an RV below this are expired
  size_t count_ = 0;
};

std::string objectKey(const std::string& ns, const std::string& name);

}  // namespace mr::apiserver
