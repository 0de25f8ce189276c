#include "reconcile/route_reads.h"

#include "common/json_read.h"
#include "k8s/object_key.h"

namespace mr::reconcile {

using k8s::Json;

using k8s::resourceVersionOf;

RouteReads::RouteReads(k8s::ApiClient& inner, RouteCache cache, const Clock& clock,
                       std::chrono::milliseconds own_write_wait)
    : inner_(inner), cache_(std::move(cache)), clock_(clock), own_write_wait_(own_write_wait) {}

bool RouteReads::isRoute(const k8s::ResourceType& type) {
  return type == k8s::resources::httpRoutes() || type == k8s::resources::virtualServices();
}

std::string RouteReads::keyOf(const k8s::ResourceType& type, const std::string& ns,
                              const std::string& name) {
  return type.plural + "/" + ns + "/" + name;
}

Result<Json> RouteReads::serverGet(const k8s::ResourceType& type, const std::string& ns,
                                   const std::string& name) {
  ++server_reads_;
  return inner_.get(type, ns, name);
}

Result<Json> RouteReads::get(const k8s::ResourceType& type, const std::string& ns,
                             const std::string& name) {
  if (!isRoute(type) || !cache_) return inner_.get(type, ns, name);
  const std::string key = keyOf(type, ns, name);
  {
    std::lock_guard lock(mu_);
    if (read_from_server_.erase(key) > 0) {
      own_writes_.erase(key);
      return serverGet(type, ns, name);
    }
  }
  const auto cached = cache_(type, ns, name);
  if (!cached || !*cached) return serverGet(type, ns, name);
  const std::string cached_rv = resourceVersionOf(**cached);
  {
    std::lock_guard lock(mu_);
    if (auto it = own_writes_.find(key); it != own_writes_.end()) {
      const bool behind = cached_rv == it->second.written_over &&
                          clock_.steadyNow() - it->second.at < own_write_wait_;
      if (behind) {
        ++cached_reads_;
        return Json(*it->second.stored);
      }
      own_writes_.erase(it);
    }
  }
  ++cached_reads_;
  return Json(**cached);
}

Result<Json> RouteReads::update(const k8s::ResourceType& type, const Json& object) {
  auto stored = inner_.update(type, object);
  if (!isRoute(type) || !cache_) return stored;
  const Json& meta = jsonObject(object, "metadata");
  const std::string key = keyOf(type, jsonString(meta, "namespace"), jsonString(meta, "name"));
  const SteadyTime now = clock_.steadyNow();
  std::lock_guard lock(mu_);
  // Forget records the cache must have caught up with by now (rollouts that went away).
  for (auto it = own_writes_.begin(); it != own_writes_.end();) {
    it = now - it->second.at >= own_write_wait_ ? own_writes_.erase(it) : std::next(it);
  }
  if (stored.isOk()) {
    own_writes_[key] = {resourceVersionOf(object), std::make_shared<const Json>(*stored), now};
  } else if (stored.status().code() == StatusCode::kConflict) {
    own_writes_.erase(key);
    read_from_server_.insert(key);
  }
  return stored;
}

Result<Json> RouteReads::patch(const k8s::ResourceType& type, const std::string& ns,
                               const std::string& name, k8s::PatchType patch_type,
                               const Json& patch, const std::string& subresource) {
  if (isRoute(type) && cache_) {
    // The version a patch replaced is unknown: read this route from the server next time.
    std::lock_guard lock(mu_);
    own_writes_.erase(keyOf(type, ns, name));
    read_from_server_.insert(keyOf(type, ns, name));
  }
  return inner_.patch(type, ns, name, patch_type, patch, subresource);
}

}  // namespace mr::reconcile
