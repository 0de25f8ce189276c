#include "k8s/informer.h"

#include <spdlog/spdlog.h>

#include "k8s/object_key.h"
#include "k8s/watch_parser.h"

namespace mr::k8s {

Json compactObject(Json object, bool keep_last_applied) {
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    meta->erase("managedFields");
    if (keep_last_applied) return object;
    if (auto ann = meta->find("annotations"); ann != meta->end() && ann->is_object()) {
      ann->erase("kubectl.kubernetes.io/last-applied-configuration");
      if (ann->empty()) meta->erase(ann);
    }
  }
  return object;
}

namespace {
ReflectorOptions reflectorOptions(const InformerOptions& options) {
  ReflectorOptions out = options.reflector;
  out.ns = options.ns;
  out.label_selector = options.label_selector;
  return out;
}
}  // namespace

Informer::Informer(ApiClient& client, ResourceType type, InformerOptions options,
                   const Clock& clock)
    : type_(type),
      options_(std::move(options)),
      reflector_(client, std::move(type), reflectorOptions(options_), *this, clock) {}

Informer::~Informer() {
  stop();
}

void Informer::addHandler(ResourceEventHandler handler) {
  handlers_.push_back(std::move(handler));
}

void Informer::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { reflector_.run(); });
}

void Informer::stop() {
  reflector_.stop();
  if (thread_.joinable()) thread_.join();
}

Json Informer::prepare(Json object) const {
  object = compactObject(std::move(object), options_.keep_last_applied);
  return options_.transform ? options_.transform(std::move(object)) : object;
}

ObjectPtr Informer::unpack(const std::string& key, const Entry& entry) const {
  Json object = entry.object.unpack();
  if (object.is_discarded()) {
    spdlog::error("informer {}: cached object {} is unreadable (corrupt packed bytes)",
                  type_.plural, key);
    return nullptr;
  }
  return std::make_shared<const Json>(std::move(object));
}

ObjectPtr Informer::get(const std::string& ns, const std::string& name) const {
  const std::string key = ObjectKey{type_.namespaced ? ns : "", name}.toString();
  Entry entry;
  {
    std::lock_guard lock(mu_);
    auto it = store_.find(key);
    if (it == store_.end()) return nullptr;
    entry = it->second;  // copies the packed bytes; unpacking happens outside the lock
  }
  return unpack(key, entry);
}

std::vector<ObjectPtr> Informer::list(const std::string& ns, const LabelSelector& selector) const {
  std::vector<std::pair<std::string, Entry>> entries;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, entry] : store_) {
      if (!ns.empty() && ObjectKey::parse(key).ns != ns) continue;
      entries.emplace_back(key, entry);
    }
  }
  std::vector<ObjectPtr> out;
  for (const auto& [key, entry] : entries) {
    ObjectPtr object = unpack(key, entry);
    if (object && selector.matchesObject(*object)) out.push_back(std::move(object));
  }
  return out;
}

size_t Informer::size() const {
  std::lock_guard lock(mu_);
  return store_.size();
}

void Informer::replace(std::vector<Json> items, const std::string& resource_version) {
  beginList();
  for (Json& item : items)
    addListItem(std::move(item));
  endList(resource_version);
}

void Informer::beginList() {
  pending_.clear();
}

void Informer::addListItem(Json item) {
  // Packed as it arrives: a relist of 10,000 objects never holds them all as trees.
  const ObjectKey object_key = ObjectKey::of(item);
  if (object_key.name.empty()) {  // not an object, or metadata/name missing or wrong-typed
    spdlog::warn("informer {}: skipping a listed item without metadata.name", type_.plural);
    return;
  }
  std::string key = object_key.toString();
  std::string rv = resourceVersionOf(item);
  pending_[std::move(key)] = Entry{PackedObject(prepare(std::move(item))), std::move(rv)};
}

void Informer::endList(const std::string& /*resource_version*/) {
  // Only this thread writes store_, so reading it here without the lock is safe.
  enum class Kind { kAdd, kUpdate, kDelete };
  std::vector<std::pair<Kind, std::string>> changes;
  for (const auto& [key, entry] : pending_) {
    auto it = store_.find(key);
    if (it == store_.end()) {
      changes.emplace_back(Kind::kAdd, key);
    } else if (it->second.resource_version != entry.resource_version) {
      changes.emplace_back(Kind::kUpdate, key);
    }
  }
  for (const auto& [key, entry] : store_) {
    if (!pending_.count(key)) changes.emplace_back(Kind::kDelete, key);
  }
  std::unordered_map<std::string, Entry> previous;
  {
    std::lock_guard lock(mu_);
    previous.swap(store_);
    store_.swap(pending_);
  }
  synced_ = true;
  if (handlers_.empty()) return;
  for (const auto& [kind, key] : changes) {
    const ObjectPtr now = kind == Kind::kDelete ? nullptr : unpack(key, store_.at(key));
    const ObjectPtr before = kind == Kind::kAdd ? nullptr : unpack(key, previous.at(key));
    if ((kind != Kind::kDelete && !now) || (kind != Kind::kAdd && !before)) continue;
    for (const ResourceEventHandler& h : handlers_) {
      if (kind == Kind::kAdd && h.on_add) h.on_add(now);
      if (kind == Kind::kUpdate && h.on_update) h.on_update(before, now);
      if (kind == Kind::kDelete && h.on_delete) h.on_delete(before);
    }
  }
}

void Informer::apply(WatchEventType type, Json object) {
  const ObjectKey object_key = ObjectKey::of(object);
  if (object_key.name.empty()) {  // not an object, or metadata/name missing or wrong-typed
    spdlog::warn("informer {}: skipping a {} event without metadata.name", type_.plural,
                 watchEventTypeName(type));
    return;
  }
  const std::string key = object_key.toString();
  const std::string rv = resourceVersionOf(object);
  auto stored = std::make_shared<const Json>(prepare(std::move(object)));
  ObjectPtr old_object;
  auto it = store_.find(key);  // only this thread writes store_
  if (it != store_.end() && type != WatchEventType::kDeleted && !handlers_.empty()) {
    old_object = unpack(key, it->second);
  }
  Entry entry{type == WatchEventType::kDeleted ? PackedObject() : PackedObject(*stored), rv};
  {
    std::lock_guard lock(mu_);
    if (type == WatchEventType::kDeleted) {
      store_.erase(key);
    } else {
      store_[key] = std::move(entry);
    }
  }
  for (const ResourceEventHandler& h : handlers_) {
    if (type == WatchEventType::kDeleted) {
      if (h.on_delete) h.on_delete(stored);  // DELETED carries the last state
    } else if (old_object) {
      if (h.on_update) h.on_update(old_object, stored);
    } else if (h.on_add) {
      h.on_add(stored);
    }
  }
}

}  // namespace mr::k8s
