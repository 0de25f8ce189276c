// Test helper: YAML documents (yaml-cpp) to nlohmann::json with YAML 1.2 core-schema scalars
// (quoted scalars stay strings), and a small OpenAPI v3 validator covering what our CRD uses
// (type, required, enum, minimum/maximum, min/maxLength, pattern, min/maxItems, unknown fields,
// int-or-string, preserve-unknown-fields). CEL rules are checked by parseSpec instead.
#pragma once

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace mr::rollout::testing {

inline nlohmann::json yamlToJson(const YAML::Node& node) {
  using nlohmann::json;
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node)
        out[kv.first.as<std::string>()] = yamlToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node)
        out.push_back(yamlToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted
      if (s == "true") return true;
      if (s == "false") return false;
      if (s == "null" || s == "~") return nullptr;
      static const std::regex integer("^[-+]?[0-9]+$");
      static const std::regex real("^[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?$");
      if (std::regex_match(s, integer)) return std::stoll(s);
      if (std::regex_match(s, real)) return std::stod(s);
      return s;
    }
    default:
      return nullptr;
  }
}

inline std::vector<nlohmann::json> loadYamlFile(const std::string& path) {
  std::vector<nlohmann::json> docs;
  for (const auto& doc : YAML::LoadAllFromFile(path)) {
    if (doc.IsNull()) continue;
    docs.push_back(yamlToJson(doc));
  }
  return docs;
}

inline void validateSchema(const nlohmann::json& schema, const nlohmann::json& value,
                           const std::string& path, std::vector<std::string>& errors) {
  auto fail = [&](const std::string& m) { errors.push_back(path + ": " + m); };
  if (schema.value("x-kubernetes-int-or-string", false)) {
    if (!value.is_number_integer() && !value.is_string()) fail("must be int or string");
    return;
  }
  const std::string type = schema.value("type", "");
  if (type == "object") {
    if (!value.is_object()) return fail("must be an object");
    for (const auto& r : schema.value("required", nlohmann::json::array())) {
      if (!value.contains(r.get<std::string>())) fail("missing required " + r.get<std::string>());
    }
    const auto props = schema.value("properties", nlohmann::json::object());
    const bool preserve = schema.value("x-kubernetes-preserve-unknown-fields", false);
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (props.contains(it.key())) {
        validateSchema(props[it.key()], *it, path + "." + it.key(), errors);
      } else if (schema.contains("additionalProperties")) {
        validateSchema(schema["additionalProperties"], *it, path + "." + it.key(), errors);
      } else if (!preserve && !props.empty()) {
        fail("unknown field " + it.key());
      }
    }
  } else if (type == "array") {
    if (!value.is_array()) return fail("must be a list");
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>())
      fail("too few items");
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<size_t>())
      fail("too many items");
    for (size_t i = 0; i < value.size(); ++i) {
      validateSchema(schema["items"], value[i], path + "[" + std::to_string(i) + "]", errors);
    }
  } else if (type == "string") {
    if (!value.is_string()) return fail("must be a string");
    const std::string s = value.get<std::string>();
    if (schema.contains("pattern") &&
        !std::regex_search(s, std::regex(schema["pattern"].get<std::string>()))) {
      fail("does not match pattern " + schema["pattern"].get<std::string>());
    }
    if (schema.contains("minLength") && s.size() < schema["minLength"].get<size_t>())
      fail("too short");
    if (schema.contains("maxLength") && s.size() > schema["maxLength"].get<size_t>())
      fail("too long");
  } else if (type == "integer" || type == "number") {
    if (type == "integer" ? !value.is_number_integer() : !value.is_number())
      return fail("must be a " + type);
    if (schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>())
      fail("below minimum");
    if (schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>())
      fail("above maximum");
  } else if (type == "boolean") {
    if (!value.is_boolean()) fail("must be a boolean");
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"])
      found = found || e == value;
    if (!found) fail("not one of the enum values");
  }
}

// Applies schema defaults the way the API server does (top-down, into objects that exist or
// were just defaulted).
inline void applyDefaults(const nlohmann::json& schema, nlohmann::json& value) {
  if (schema.value("type", "") == "object" && value.is_object()) {
    const nlohmann::json props = schema.value("properties", nlohmann::json::object());
    for (auto& [key, prop] : props.items()) {
      if (!value.contains(key) && prop.contains("default")) value[key] = prop["default"];
      if (value.contains(key)) applyDefaults(prop, value[key]);
    }
  } else if (schema.value("type", "") == "array" && value.is_array() && schema.contains("items")) {
    for (auto& item : value)
      applyDefaults(schema["items"], item);
  }
}

}  // namespace mr::rollout::testing
