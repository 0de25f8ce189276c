// JSON merge patch (RFC 7386) helpers used to change only the fields the controller owns.
// createMergePatch(from, to) returns the smallest patch turning `from` into `to`: objects are
// diffed key by key (removed keys become null), anything else is replaced whole.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

namespace mr::rollout {

nlohmann::json createMergePatch(const nlohmann::json& from, const nlohmann::json& to);

// Applies `patch` to `target` as the API server would (RFC 7386).
nlohmann::json applyMergePatch(nlohmann::json target, const nlohmann::json& patch);

}  // namespace mr::rollout
