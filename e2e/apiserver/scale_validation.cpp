#include "scale_validation.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

// Go's %v and %T of a value decoded from JSON into interface{} (unstructured).
std::string goValue(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_null()) return "<nil>";
  if (v.is_number()) return v.dump();
  return v.is_array() ? "[...]" : "map[...]";
}
std::string goType(const json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "bool";
  if (v.is_number_integer()) return "int64";
  if (v.is_number()) return "float64";
  if (v.is_array()) return "[]interface {}";
  if (v.is_object()) return "map[string]interface {}";
  return "<nil>";
}

// unstructured.NestedFieldNoCopy over "a.b.c": the value, or null when absent; an error when
// an intermediate is not an object.
const json* nested(const json& obj, const std::string& path, std::string& error) {
  std::string trimmed = path.rfind('.', 0) == 0 ? path.substr(1) : path;
  std::vector<std::string> fields;
  std::stringstream ss(trimmed);
  for (std::string f; std::getline(ss, f, '.');)
    fields.push_back(f);
  const json* cur = &obj;
  std::string walked;
  for (const auto& f : fields) {
    if (cur->is_null()) return nullptr;
    if (!cur->is_object()) {
      error = walked;
      error += "." + f;
      error += " accessor error: " + goValue(*cur);
      error += " is of the type " + goType(*cur);
      error += ", expected map[string]interface{}";
      return nullptr;
    }
    auto it = cur->find(f);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    walked += "." + f;
  }
  return cur;
}

void checkReplicas(const json& obj, const std::string& path, std::vector<FieldError>& out) {
  if (path.empty()) return;
  std::string error;
  const json* v = nested(obj, path, error);
  if (v && !v->is_number_integer()) {
    std::string walked = "." + (path.rfind('.', 0) == 0 ? path.substr(1) : path);
    error = walked + " accessor error: " + goValue(*v) + " is of the type " + goType(*v) +
            ", expected int64";
  }
  if (!error.empty()) {
    out.push_back({path, "FieldValueInvalid", "Invalid value: 0: " + error});
    return;
  }
  if (!v) return;
  const int64_t n = v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX)
                        ? INT64_MAX
                        : v->get<int64_t>();
  const std::string shown = std::to_string(n);
  if (n < 0)
    out.push_back({path, "FieldValueInvalid",
                   "Invalid value: " + shown + ": should be a non-negative integer"});
  else if (n > std::numeric_limits<int32_t>::max())
    out.push_back({path, "FieldValueInvalid",
                   "Invalid value: " + shown + ": should be less than or equal to 2147483647"});
}

}  // namespace

std::vector<FieldError> validateScalePaths(const json& object, const ServedVersion& version) {
  std::vector<FieldError> out;
  if (!version.scale_subresource) return out;
  checkReplicas(object, version.spec_replicas_path, out);
  checkReplicas(object, version.status_replicas_path, out);
  if (!version.label_selector_path.empty()) {
    std::string error;
    const json* v = nested(object, version.label_selector_path, error);
    if (v && !v->is_string()) {
      const std::string& p = version.label_selector_path;
      error = "." + (p.rfind('.', 0) == 0 ? p.substr(1) : p) + " accessor error: " + goValue(*v) +
              " is of the type " + goType(*v) + ", expected string";
    }
    if (!error.empty())
      out.push_back(
          {version.label_selector_path, "FieldValueInvalid", "Invalid value: \"\": " + error});
  }
  return out;
}

}  // namespace mr::apiserver
