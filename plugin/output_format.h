// `-o json|yaml` for list, get and status: the API objects as the server returned them, minus
// metadata.managedFields (as kubectl prints them by default). YAML is block style with keys in
// order, strings quoted (JSON-style double quotes, valid YAML) whenever a plain scalar could be
// read back as anything but the same string (true, null, 1.0, "a: b", leading "-", ...).
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mr::plugin {

std::string toYaml(const nlohmann::json& value);

// format: "json" (2-space indent) or "yaml"; ends with a newline.
std::string formatObject(const nlohmann::json& object, const std::string& format);

}  // namespace mr::plugin
