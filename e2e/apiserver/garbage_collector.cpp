// Background garbage collection: when an owner is deleted, its dependents (objects whose
// ownerReferences name its uid) are deleted (Background/Foreground, simplified to the same
// asynchronous cascade) or have the reference removed (Orphan). Dependents with other owners
// only lose the dangling reference. Deleting a dependent cascades further.
#include <spdlog/spdlog.h>

#include "api_server.h"

namespace mr::apiserver {

using json = nlohmann::json;

void ApiServer::enqueueGc(const std::string& uid, const std::string& policy) {
  if (uid.empty()) return;
  {
    std::lock_guard lock(gc_mu_);
    gc_queue_.emplace_back(uid, policy);
  }
  gc_cv_.notify_one();
}

void ApiServer::gcLoop() {
  for (;;) {
    std::pair<std::string, std::string> item;
    {
      std::unique_lock lock(gc_mu_);
      gc_cv_.wait(lock, [&] { return gc_stop_ || !gc_queue_.empty(); });
      if (gc_stop_) return;
      item = gc_queue_.front();
      gc_queue_.pop_front();
    }
    const auto& [uid, policy] = item;
    for (const auto& [resource, ns, name] : store_.ownedBy(uid)) {
      ResourceTypePtr type = registry_.findByKey(resource);
      if (!type) continue;
      bool delete_it = false;
      (void)store_.mutate(resource, ns, name, [&](const ObjPtr& cur) -> Result<Mutation> {
        if (!cur) return notFound(name);
        json next = *cur;
        json kept = json::array();
        for (const auto& ref : next["metadata"].value("ownerReferences", json::array())) {
          if (ref.value("uid", "") != uid) kept.push_back(ref);
        }
        if (policy != "Orphan" && kept.empty()) {
          delete_it = true;
          return Mutation{};
        }
        if (kept.empty()) {
          next["metadata"].erase("ownerReferences");
        } else {
          next["metadata"]["ownerReferences"] = kept;
        }
        return Mutation{Mutation::Kind::kPut, std::move(next)};
      });
      if (delete_it) {
        std::optional<ApiError> err;
        Result<ObjPtr> r =
            deleteObject(*type, ns, name, json{{"propagationPolicy", "Background"}}, err, false);
        if (!r.isOk() && !(err && err->code == 404)) {
          spdlog::warn("gc: deleting {}/{} ({}) failed: {}", ns, name, resource,
                       r.status().message());
        }
      }
    }
  }
}

}  // namespace mr::apiserver
