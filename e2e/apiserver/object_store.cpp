#include "object_store.h"

#include <algorithm>

namespace mr::apiserver {

std::string objectKey(const std::string& ns, const std::string& name) {
  return ns + "/" + name;
}

namespace {
std::string ownerId(const std::string& resource, const std::string& ns, const std::string& name) {
  return resource + "|" + ns + "|" + name;
}
}  // namespace

ObjectStore::ObjectStore(const Clock& clock, size_t history_size)
    : clock_(clock), history_size_(std::max<size_t>(history_size, 1)) {}

ObjPtr ObjectStore::get(const std::string& resource, const std::string& ns,
                        const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(resource);
  if (it == objects_.end()) return nullptr;
  auto o = it->second.find(objectKey(ns, name));
  return o == it->second.end() ? nullptr : o->second;
}

Result<ObjPtr> ObjectStore::mutate(const std::string& resource, const std::string& ns,
                                   const std::string& name, const MutateFn& fn) {
  std::unique_lock lock(mu_);
  ObjectMap& map = objects_[resource];
  std::string key = objectKey(ns, name);
  auto it = map.find(key);
  ObjPtr current = it == map.end() ? nullptr : it->second;
  Result<Mutation> decision = fn(current);
  if (!decision.isOk()) return decision.status();
  Mutation& m = decision.value();
  if (m.kind == Mutation::Kind::kNone) {
    if (!current) return notFound(name);
    return current;
  }
  auto event = std::make_shared<WatchEvent>();
  event->rv = ++rv_;
  event->resource = resource;
  event->ns = ns;
  std::string id = ownerId(resource, ns, name);
  if (m.kind == Mutation::Kind::kPut) {
    m.object["metadata"]["resourceVersion"] = std::to_string(event->rv);
    auto obj = std::make_shared<const json>(std::move(m.object));
    indexOwners(id, current.get(), obj.get());
    event->type = current ? "MODIFIED" : "ADDED";
    event->object = obj;
    event->previous = current;
    if (!current) ++count_;
    map[key] = obj;
  } else {
    if (!current) return notFound(name);
    json last = *current;
    last["metadata"]["resourceVersion"] = std::to_string(event->rv);
    indexOwners(id, current.get(), nullptr);
    event->type = "DELETED";
    event->object = std::make_shared<const json>(std::move(last));
    map.erase(it);
    --count_;
  }
  history_.push_back(event);
  while (history_.size() > history_size_) {
    compacted_rv_ = history_.front()->rv;
    history_.pop_front();
  }
  lock.unlock();
  cv_.notify_all();
  return event->object;
}

void ObjectStore::indexOwners(const std::string& id, const json* old_obj, const json* new_obj) {
  auto uids = [](const json* o) {
    std::vector<std::string> out;
    if (!o) return out;
    auto md = o->find("metadata");
    if (md == o->end()) return out;
    auto refs = md->find("ownerReferences");
    if (refs == md->end() || !refs->is_array()) return out;
    for (const auto& r : *refs) {
      if (r.contains("uid") && r["uid"].is_string()) out.push_back(r["uid"].get<std::string>());
    }
    return out;
  };
  for (const auto& uid : uids(old_obj)) {
    auto it = owner_index_.find(uid);
    if (it == owner_index_.end()) continue;
    it->second.erase(id);
    if (it->second.empty()) owner_index_.erase(it);
  }
  for (const auto& uid : uids(new_obj))
    owner_index_[uid].insert(id);
}

ListPage ObjectStore::list(const std::string& resource, const std::string& ns,
                           const std::string& after_key, size_t limit,
                           const std::function<bool(const json&)>& filter) const {
  ListPage page;
  std::lock_guard lock(mu_);
  page.rv = rv_;
  auto it = objects_.find(resource);
  if (it == objects_.end()) return page;
  const ObjectMap& map = it->second;
  auto pos = after_key.empty() ? (ns.empty() ? map.begin() : map.lower_bound(ns + "/"))
                               : map.upper_bound(after_key);
  std::string prefix = ns.empty() ? "" : ns + "/";
  std::string last_key;
  for (; pos != map.end(); ++pos) {
    if (!prefix.empty() && pos->first.compare(0, prefix.size(), prefix) != 0) break;
    if (limit > 0 && page.items.size() == limit) {
      // Counted unfiltered, like the real server's estimate.
      ++page.remaining;
      continue;
    }
    if (filter && !filter(*pos->second)) continue;
    page.items.push_back(pos->second);
    last_key = pos->first;
  }
  if (page.remaining > 0) page.next_key = last_key;
  return page;
}

std::vector<std::tuple<std::string, std::string, std::string>> ObjectStore::ownedBy(
    const std::string& uid) const {
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  std::lock_guard lock(mu_);
  auto it = owner_index_.find(uid);
  if (it == owner_index_.end()) return out;
  for (const auto& id : it->second) {
    size_t a = id.find('|');
    size_t b = id.find('|', a + 1);
    out.emplace_back(id.substr(0, a), id.substr(a + 1, b - a - 1), id.substr(b + 1));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ObjectStore::keysOf(
    const std::string& resource) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::lock_guard lock(mu_);
  auto it = objects_.find(resource);
  if (it == objects_.end()) return out;
  for (const auto& [key, obj] : it->second) {
    size_t slash = key.find('/');
    out.emplace_back(key.substr(0, slash), key.substr(slash + 1));
  }
  return out;
}

int64_t ObjectStore::currentRv() const {
  std::lock_guard lock(mu_);
  return rv_;
}

size_t ObjectStore::objectCount() const {
  std::lock_guard lock(mu_);
  return count_;
}

std::vector<EventPtr> ObjectStore::eventsAfter(int64_t from_rv, SteadyTime deadline, size_t max,
                                               bool& expired, int64_t& head_rv) const {
  std::vector<EventPtr> out;
  std::unique_lock lock(mu_);
  expired = false;
  while (from_rv >= rv_ && from_rv >= compacted_rv_) {
    if (clock_.steadyNow() >= deadline) {
      head_rv = rv_;
      return out;
    }
    clock_.waitUntil(cv_, lock, deadline);
  }
  if (from_rv < compacted_rv_) {
    expired = true;
    head_rv = rv_;
    return out;
  }
  auto it = std::upper_bound(history_.begin(), history_.end(), from_rv,
                             [](int64_t rv, const EventPtr& e) { return rv < e->rv; });
  for (; it != history_.end() && out.size() < max; ++it)
    out.push_back(*it);
  head_rv = out.empty() ? rv_ : out.back()->rv;
  return out;
}

void ObjectStore::wakeAll() const {
  cv_.notify_all();
}

void ObjectStore::compact() {
  {
    std::lock_guard lock(mu_);
    history_.clear();
    compacted_rv_ = rv_;
  }
  cv_.notify_all();
}

int64_t ObjectStore::oldestRetainedRv() const {
  std::lock_guard lock(mu_);
  return compacted_rv_;
}

}  // namespace mr::apiserver
