#include "k8s/informer.h"

#include "k8s/object_key.h"

namespace mr::k8s {

Json compactObject(Json object) {
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    meta->erase("managedFields");
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

std::string resourceVersionOf(const Json& object) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  return meta->value("resourceVersion", "");
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

ObjectPtr Informer::get(const std::string& ns, const std::string& name) const {
  const std::string key = ObjectKey{type_.namespaced ? ns : "", name}.toString();
  std::lock_guard lock(mu_);
  auto it = store_.find(key);
  return it == store_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Informer::list(const std::string& ns, const LabelSelector& selector) const {
  std::vector<ObjectPtr> out;
  std::lock_guard lock(mu_);
  for (const auto& [key, object] : store_) {
    if (!ns.empty() && ObjectKey::parse(key).ns != ns) continue;
    if (!selector.matchesObject(*object)) continue;
    out.push_back(object);
  }
  return out;
}

size_t Informer::size() const {
  std::lock_guard lock(mu_);
  return store_.size();
}

void Informer::replace(std::vector<Json> items, const std::string& /*resource_version*/) {
  std::unordered_map<std::string, ObjectPtr> fresh;
  fresh.reserve(items.size());
  for (Json& item : items) {
    const std::string key = ObjectKey::of(item).toString();
    fresh[key] = std::make_shared<const Json>(compactObject(std::move(item)));
  }
  struct Change {
    ObjectPtr old_object, new_object;
  };
  std::vector<Change> changes;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, object] : fresh) {
      auto it = store_.find(key);
      if (it == store_.end()) {
        changes.push_back({nullptr, object});
      } else if (resourceVersionOf(*it->second) != resourceVersionOf(*object)) {
        changes.push_back({it->second, object});
      }
    }
    for (const auto& [key, object] : store_) {
      if (!fresh.count(key)) changes.push_back({object, nullptr});
    }
    store_.swap(fresh);
  }
  synced_ = true;
  for (const Change& change : changes) {
    for (const ResourceEventHandler& h : handlers_) {
      if (!change.old_object && h.on_add) h.on_add(change.new_object);
      if (change.old_object && change.new_object && h.on_update) {
        h.on_update(change.old_object, change.new_object);
      }
      if (!change.new_object && h.on_delete) h.on_delete(change.old_object);
    }
  }
}

void Informer::apply(WatchEventType type, Json object) {
  const std::string key = ObjectKey::of(object).toString();
  auto stored = std::make_shared<const Json>(compactObject(std::move(object)));
  ObjectPtr old_object;
  {
    std::lock_guard lock(mu_);
    auto it = store_.find(key);
    if (it != store_.end()) old_object = it->second;
    if (type == WatchEventType::kDeleted) {
      store_.erase(key);
    } else {
      store_[key] = stored;
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
