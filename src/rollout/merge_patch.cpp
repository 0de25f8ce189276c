#include "rollout/merge_patch.h"

namespace mr::rollout {

using Json = nlohmann::json;

Json createMergePatch(const Json& from, const Json& to) {
  if (!from.is_object() || !to.is_object()) return to;
  Json patch = Json::object();
  for (auto it = from.begin(); it != from.end(); ++it) {
    if (!to.contains(it.key())) patch[it.key()] = nullptr;
  }
  for (auto it = to.begin(); it != to.end(); ++it) {
    auto old = from.find(it.key());
    if (old == from.end()) {
      patch[it.key()] = *it;
    } else if (*old != *it) {
      patch[it.key()] = createMergePatch(*old, *it);
    }
  }
  return patch;
}

Json applyMergePatch(Json target, const Json& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = Json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it->is_null()) {
      target.erase(it.key());
    } else {
      target[it.key()] =
          applyMergePatch(target.contains(it.key()) ? target[it.key()] : Json(), *it);
    }
  }
  return target;
}

}  // namespace mr::rollout
