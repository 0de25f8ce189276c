// Type-checked reads of JSON from outside the process (API server objects, Lease and Status
// bodies, exec-plugin output). nlohmann's value()/get<>() throw type_error when a field has an
// unexpected type ("metadata": 5, "resourceVersion": {}); these never throw: a missing field,
// a field of another type, or a container that is not an object all yield the fallback.
// Thread-safety: pure functions; the empty containers returned by reference are immutable.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mr {

// The member `key` of `object`, or nullptr when `object` is not an object or lacks it.
inline const nlohmann::json* jsonMember(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

inline std::string jsonString(const nlohmann::json& object, std::string_view key,
                              std::string fallback = "") {
  const nlohmann::json* v = jsonMember(object, key);
  return v && v->is_string() ? v->get_ref<const std::string&>() : fallback;
}

// Integers only (a float or a string such as "3" yields the fallback).
inline int64_t jsonInt(const nlohmann::json& object, std::string_view key, int64_t fallback = 0) {
  const nlohmann::json* v = jsonMember(object, key);
  if (!v) return fallback;
  if (v->is_number_integer()) return v->get<int64_t>();  // signed or unsigned; both are integers
  return fallback;
}

inline bool jsonBool(const nlohmann::json& object, std::string_view key, bool fallback = false) {
  const nlohmann::json* v = jsonMember(object, key);
  return v && v->is_boolean() ? v->get<bool>() : fallback;
}

// The member when it is an object, else an empty object.
inline const nlohmann::json& jsonObject(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  const nlohmann::json* v = jsonMember(object, key);
  return v && v->is_object() ? *v : kEmpty;
}

// The member when it is an array, else an empty array.
inline const nlohmann::json& jsonArray(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const nlohmann::json* v = jsonMember(object, key);
  return v && v->is_array() ? *v : kEmpty;
}

}  // namespace mr
