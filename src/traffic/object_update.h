// Read-modify-write of a whole object with optimistic concurrency, shared by the routers that
// edit atomic lists (HTTPRoute backendRefs, VirtualService route[]): a merge patch would replace
// the whole list and silently drop a concurrent edit, so we PUT the object with the
// resourceVersion we read and, on 409, re-read and re-apply our change.
// Thread-safety: stateless functions.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/status.h"
#include "k8s/api_client.h"

namespace mr::traffic {

// Edits `object` in place. Returns true when it changed something (false = nothing to write),
// or an error that aborts the update.
using ObjectMutation = std::function<Result<bool>(k8s::Json& object)>;

inline constexpr int kMaxConflictRetries = 5;

// GET, mutate, PUT; on Conflict repeats up to `max_attempts` times in total. A NotFound from
// GET is returned as NotFound with a message naming the object. Returns the object as stored
// afterwards: the PUT response (the server's stored object, so callers need no read-back GET),
// or the object as read when the mutation reports no change (nothing is written then).
// `known`: a copy read moments ago (with its resourceVersion) used for the first attempt
// instead of a GET; if it is stale the PUT gets 409 and the next attempt reads afresh.
Result<k8s::Json> updateWithRetry(k8s::ApiClient& api, const k8s::ResourceType& type,
                                  const std::string& ns, const std::string& name,
                                  const ObjectMutation& mutate,
                                  int max_attempts = kMaxConflictRetries,
                                  std::optional<k8s::Json> known = std::nullopt);

// GET that turns a 404 into NotFound("<Kind> <ns>/<name> not found").
Result<k8s::Json> getObject(k8s::ApiClient& api, const k8s::ResourceType& type,
                            const std::string& ns, const std::string& name);

}  // namespace mr::traffic
