#include "traffic/object_update.h"

namespace mr::traffic {

Result<k8s::Json> getObject(k8s::ApiClient& api, const k8s::ResourceType& type,
                            const std::string& ns, const std::string& name) {
  auto got = api.get(type, ns, name);
  if (!got.isOk()) {
    const std::string what = type.kind + " " + ns + "/" + name;
    if (got.status().code() == StatusCode::kNotFound) return notFound(what + " not found");
    return got.status().withContext("reading " + what);
  }
  return got;
}

Result<k8s::Json> updateWithRetry(k8s::ApiClient& api, const k8s::ResourceType& type,
                                  const std::string& ns, const std::string& name,
                                  const ObjectMutation& mutate, int max_attempts,
                                  std::optional<k8s::Json> known) {
  Status last;
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    Result<k8s::Json> object = attempt == 0 && known ? Result<k8s::Json>(std::move(*known))
                                                     : getObject(api, type, ns, name);
    if (!object.isOk()) return object.status();
    auto changed = mutate(*object);
    if (!changed.isOk()) return changed.status();
    if (!*changed) return object;
    auto updated = api.update(type, *object);
    if (updated.isOk()) return updated;
    last = updated.status();
    if (last.code() != StatusCode::kConflict) {
      return last.withContext("updating " + type.kind + " " + ns + "/" + name);
    }
  }
  return last.withContext("updating " + type.kind + " " + ns + "/" + name + " after " +
                          std::to_string(max_attempts) + " conflicting attempts");
}

}  // namespace mr::traffic
