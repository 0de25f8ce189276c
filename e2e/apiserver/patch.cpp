#include "patch.h"

#include <algorithm>

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

Status unprocessable(const std::string& msg) {
  return Status(StatusCode::kInvalidArgument, msg, 422, "Invalid");
}
Status badRequest(const std::string& msg) {
  return Status(StatusCode::kInvalidArgument, msg, 400, "BadRequest");
}

// The merge key of a list field, given the field name and a sample element; empty = atomic.
std::string mergeKeyFor(const std::string& field, const json& base, const json& patch) {
  auto sample = [&](const char* key) {
    for (const json* list : {&base, &patch}) {
      if (!list->is_array()) continue;
      for (const auto& e : *list) {
        if (e.is_object() && e.contains(key)) return true;
      }
    }
    return false;
  };
  if (field == "containers" || field == "initContainers" || field == "ephemeralContainers" ||
      field == "env" || field == "volumes" || field == "imagePullSecrets" ||
      field == "hostAliases" || field == "resourceClaims") {
    return field == "hostAliases" ? "ip" : "name";
  }
  if (field == "volumeMounts") return "mountPath";
  if (field == "volumeDevices") return "devicePath";
  if (field == "conditions") return "type";
  if (field == "ports") return sample("containerPort") ? "containerPort" : "port";
  if (field == "topologySpreadConstraints") return "topologyKey";
  return "";
}

Result<json> mergeValue(const json& base, const json& patch);

Result<json> mergeList(const std::string& field, const json& base, const json& patch,
                       const json* order) {
  std::string key = mergeKeyFor(field, base, patch);
  // A list-level `$patch: replace` element replaces the whole list.
  for (const auto& e : patch) {
    if (e.is_object() && e.value("$patch", "") == "replace") {
      json out = json::array();
      for (const auto& x : patch) {
        if (!(x.is_object() && x.contains("$patch"))) out.push_back(x);
      }
      return out;
    }
  }
  if (key.empty()) {
    if (!base.is_array()) return patch;
    // Primitive lists with merge semantics are rare in our kinds; atomic replace is the default.
    return patch;
  }
  json out = base.is_array() ? base : json::array();
  for (const auto& pe : patch) {
    if (!pe.is_object() || !pe.contains(key))
      return badRequest("map: " + pe.dump() + " does not contain declared merge key: " + key);
    auto it = std::find_if(out.begin(), out.end(), [&](const json& be) {
      return be.is_object() && be.contains(key) && be[key] == pe[key];
    });
    std::string directive = pe.value("$patch", "");
    if (directive == "delete") {
      if (it != out.end()) out.erase(it);
      continue;
    }
    if (it == out.end()) {
      Result<json> fresh = mergeValue(json::object(), pe);
      if (!fresh.isOk()) return fresh;
      out.push_back(std::move(fresh.value()));
    } else {
      Result<json> merged = mergeValue(*it, pe);
      if (!merged.isOk()) return merged;
      *it = std::move(merged.value());
    }
  }
  if (order && order->is_array()) {
    // Elements named in $setElementOrder come first in that order; others keep their place after.
    json sorted = json::array();
    std::vector<bool> used(out.size(), false);
    for (const auto& o : *order) {
      if (!o.is_object() || !o.contains(key)) continue;
      for (size_t i = 0; i < out.size(); ++i) {
        if (!used[i] && out[i].is_object() && out[i].contains(key) && out[i][key] == o[key]) {
          sorted.push_back(out[i]);
          used[i] = true;
        }
      }
    }
    for (size_t i = 0; i < out.size(); ++i) {
      if (!used[i]) sorted.push_back(out[i]);
    }
    out = std::move(sorted);
  }
  return out;
}

Result<json> mergeValue(const json& base, const json& patch) {
  if (!patch.is_object()) return patch;
  if (patch.value("$patch", "") == "replace") {
    json out = patch;
    out.erase("$patch");
    return out;
  }
  if (patch.value("$patch", "") == "delete") return json();
  json out = base.is_object() ? base : json::object();
  if (patch.contains("$retainKeys") && patch["$retainKeys"].is_array()) {
    json kept = json::object();
    for (const auto& k : patch["$retainKeys"]) {
      if (k.is_string() && out.contains(k.get<std::string>()))
        kept[k.get<std::string>()] = out[k.get<std::string>()];
    }
    out = std::move(kept);
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& k = it.key();
    if (k == "$patch" || k == "$retainKeys" || k.rfind("$setElementOrder/", 0) == 0) continue;
    if (k.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      std::string field = k.substr(25);
      if (out.contains(field) && out[field].is_array() && it->is_array()) {
        json kept = json::array();
        for (const auto& v : out[field]) {
          if (std::find(it->begin(), it->end(), v) == it->end()) kept.push_back(v);
        }
        out[field] = std::move(kept);
      }
      continue;
    }
    if (it->is_null()) {
      out.erase(k);
      continue;
    }
    const json& current = out.contains(k) ? out[k] : json();
    Result<json> merged = json();
    if (it->is_array()) {
      std::string order_key = "$setElementOrder/" + k;
      merged = mergeList(k, current, *it, patch.contains(order_key) ? &patch[order_key] : nullptr);
    } else if (it->is_object()) {
      merged = mergeValue(current, *it);
    } else {
      merged = *it;
    }
    if (!merged.isOk()) return merged;
    if (merged.value().is_null() && it->is_object()) {
      out.erase(k);
    } else {
      out[k] = std::move(merged.value());
    }
  }
  // A $setElementOrder for a list not present in the patch only reorders.
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.key().rfind("$setElementOrder/", 0) != 0) continue;
    std::string field = it.key().substr(17);
    if (patch.contains(field) || !out.contains(field)) continue;
    Result<json> reordered = mergeList(field, out[field], json::array(), &*it);
    if (!reordered.isOk()) return reordered;
    out[field] = std::move(reordered.value());
  }
  return out;
}

}  // namespace

Result<json> applyMergePatch(const json& target, const json& patch) {
  if (!patch.is_object()) return badRequest("merge patch must be a JSON object");
  json out = target;
  out.merge_patch(patch);
  return out;
}

Result<json> applyJsonPatch(const json& target, const json& patch) {
  if (!patch.is_array()) return badRequest("json patch must be a JSON array of operations");
  for (const auto& op : patch) {
    if (!op.is_object() || !op.contains("op") || !op.contains("path")) {
      return badRequest("invalid JSON patch operation: " + op.dump());
    }
  }
  try {
    return target.patch(patch);
  } catch (const json::exception& e) {
    return unprocessable(
        std::string("the server rejected our request due to an error in our request: ") + e.what());
  }
}

Result<json> applyStrategicMergePatch(const json& target, const json& patch) {
  if (!patch.is_object()) return badRequest("strategic merge patch must be a JSON object");
  return mergeValue(target, patch);
}

}  // namespace mr::apiserver
