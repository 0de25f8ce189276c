#include "schema_validator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>

#include "cel_rules.h"

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

const std::set<std::string>& objectMetaFields() {
  static const std::set<std::string> k{"name",
                                       "generateName",
                                       "namespace",
                                       "selfLink",
                                       "uid",
                                       "resourceVersion",
                                       "generation",
                                       "creationTimestamp",
                                       "deletionTimestamp",
                                       "deletionGracePeriodSeconds",
                                       "labels",
                                       "annotations",
                                       "ownerReferences",
                                       "finalizers",
                                       "managedFields"};
  return k;
}

// Compiled patterns are cached; an ECMAScript regex approximates Go's RE2 for CRD patterns.
const std::regex* compiledPattern(const std::string& pattern) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<std::regex>> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second.get();
  std::unique_ptr<std::regex> re;
  try {
    re = std::make_unique<std::regex>(pattern, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error&) {
    re = nullptr;  // unsupported syntax: the pattern is skipped
  }
  return (cache[pattern] = std::move(re)).get();
}

std::string typeOf(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool hasType(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "number") return v.is_number();
  if (type == "integer") {
    return v.is_number_integer() ||
           (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  }
  return true;
}

bool isTypeMetaOrMeta(const std::string& key) {
  return key == "apiVersion" || key == "kind" || key == "metadata";
}

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

class Walker {
 public:
  Walker(SchemaOutcome& out, bool prune) : out_(out), prune_(prune) {}

  void walk(json& v, const json& s, const std::string& path) {
    if (!s.is_object()) return;
    if (v.is_null()) {
      if (s.value("nullable", false) || !s.contains("type")) return;
      error(path, "FieldValueTypeInvalid",
            "Invalid value: \"null\": " + path + " in body must be of type " + s.value("type", "") +
                ": \"null\"");
      return;
    }
    bool int_or_string = s.value("x-kubernetes-int-or-string", false);
    std::string type = s.value("type", "");
    if (int_or_string) {
      if (!v.is_string() && !v.is_number_integer()) {
        error(path, "FieldValueTypeInvalid",
              "Invalid value: \"" + typeOf(v) + "\": " + path +
                  " in body must be of type integer-or-string");
        return;
      }
    } else if (!type.empty() && !hasType(v, type)) {
      error(path, "FieldValueTypeInvalid",
            "Invalid value: \"" + typeOf(v) + "\": " + path + " in body must be of type " + type +
                ": \"" + typeOf(v) + "\"");
      return;
    }
    if (s.contains("enum") && s["enum"].is_array()) {
      const json& e = s["enum"];
      if (std::find(e.begin(), e.end(), v) == e.end()) {
        std::string supported;
        for (const auto& x : e)
          supported += (supported.empty() ? "" : ", ") + x.dump();
        error(path, "FieldValueNotSupported",
              "Unsupported value: " + v.dump() + ": supported values: " + supported);
      }
    }
    if (v.is_string()) checkString(v.get<std::string>(), s, path);
    if (v.is_number()) checkNumber(v, s, path);
    if (v.is_array()) walkArray(v, s, path);
    if (v.is_object()) walkObject(v, s, path);
    checkCombinators(v, s, path);
  }

  void walkMetadata(json& md) {
    if (!md.is_object()) return;
    for (auto it = md.begin(); it != md.end();) {
      if (objectMetaFields().count(it.key())) {
        ++it;
        continue;
      }
      out_.unknown_fields.push_back("metadata." + it.key());
      it = prune_ ? md.erase(it) : std::next(it);
    }
  }

 private:
  void error(const std::string& path, const std::string& reason, const std::string& detail) {
    out_.errors.push_back({path, reason, detail});
  }

  void checkString(const std::string& str, const json& s, const std::string& path) {
    std::string quoted = json(str).dump();
    if (s.contains("maxLength") && str.size() > s["maxLength"].get<size_t>()) {
      error(path, "FieldValueTooLong",
            "Too long: may not be more than " + std::to_string(s["maxLength"].get<size_t>()) +
                " bytes");
    }
    if (s.contains("minLength") && str.size() < s["minLength"].get<size_t>()) {
      error(path, "FieldValueInvalid",
            "Invalid value: " + quoted + ": " + path + " in body should be at least " +
                std::to_string(s["minLength"].get<size_t>()) + " chars long");
    }
    if (s.contains("pattern") && s["pattern"].is_string()) {
      const std::regex* re = compiledPattern(s["pattern"].get<std::string>());
      if (re && !std::regex_search(str, *re)) {
        error(path, "FieldValueInvalid",
              "Invalid value: " + quoted + ": " + path + " in body should match '" +
                  s["pattern"].get<std::string>() + "'");
      }
    }
  }

  void checkNumber(const json& v, const json& s, const std::string& path) {
    double x = v.get<double>();
    if (s.contains("minimum") && s["minimum"].is_number()) {
      double m = s["minimum"].get<double>();
      bool excl = s.value("exclusiveMinimum", false);
      if (excl ? x <= m : x < m) {
        error(path, "FieldValueInvalid",
              "Invalid value: " + v.dump() + ": " + path + " in body should be greater than " +
                  (excl ? "" : "or equal to ") + s["minimum"].dump());
      }
    }
    if (s.contains("maximum") && s["maximum"].is_number()) {
      double m = s["maximum"].get<double>();
      bool excl = s.value("exclusiveMaximum", false);
      if (excl ? x >= m : x > m) {
        error(path, "FieldValueInvalid",
              "Invalid value: " + v.dump() + ": " + path + " in body should be less than " +
                  (excl ? "" : "or equal to ") + s["maximum"].dump());
      }
    }
    if (s.contains("multipleOf") && s["multipleOf"].is_number()) {
      double m = s["multipleOf"].get<double>();
      if (m > 0 && std::fabs(std::remainder(x, m)) > 1e-9) {
        error(path, "FieldValueInvalid",
              "Invalid value: " + v.dump() + ": " + path + " in body should be a multiple of " +
                  s["multipleOf"].dump());
      }
    }
  }

  void walkArray(json& v, const json& s, const std::string& path) {
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) {
      error(path, "FieldValueTooMany",
            "Too many: " + std::to_string(v.size()) + ": must have at most " +
                std::to_string(s["maxItems"].get<size_t>()) + " items");
    }
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) {
      error(path, "FieldValueInvalid",
            "Invalid value: " + std::to_string(v.size()) + ": " + path +
                " in body should have at least " + std::to_string(s["minItems"].get<size_t>()) +
                " items");
    }
    if (s.value("uniqueItems", false)) {
      for (size_t i = 0; i < v.size(); ++i) {
        for (size_t j = i + 1; j < v.size(); ++j) {
          if (v[i] == v[j])
            error(path + "[" + std::to_string(j) + "]", "FieldValueDuplicate",
                  "Duplicate value: " + v[j].dump());
        }
      }
    }
    listTypeDuplicates(v, s, path);
    if (s.contains("items") && s["items"].is_object()) {
      for (size_t i = 0; i < v.size(); ++i)
        walk(v[i], s["items"], path + "[" + std::to_string(i) + "]");
    }
  }

  // A value as Go's field.Duplicate prints it (apimachinery's ErrorBody): strings quoted,
  // numbers and booleans plain, a map as `%#v` does, e.g. map[string]interface {}{"name":"x"}.
  static std::string goValue(const json& v) {
    if (!v.is_object()) return v.dump();
    std::string out = "map[string]interface {}{";
    bool first = true;
    for (const auto& [k, x] : v.items()) {  // sorted, as fmt prints maps
      if (!first) out += ", ";
      first = false;
      out += json(k).dump() + ":" + goValue(x);
    }
    return out + "}";
  }

  // As kube-apiserver v1.32 (apiextensions-apiserver pkg/apiserver/schema/listtype): in an
  // x-kubernetes-list-type: set, every later copy of an item is a FieldValueDuplicate naming the
  // item; in a list-type: map, every later item with the same x-kubernetes-list-map-keys values
  // is one naming those keys, e.g.
  // `spec.analysis.metrics.custom[1]: Duplicate value: map[string]interface {}{"name":"x"}`.
  void listTypeDuplicates(const json& v, const json& s, const std::string& path) {
    const std::string type = s.value("x-kubernetes-list-type", "");
    if (type == "set") {
      for (size_t j = 1; j < v.size(); ++j) {
        if (std::find(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(j), v[j]) !=
            v.begin() + static_cast<std::ptrdiff_t>(j)) {
          error(path + "[" + std::to_string(j) + "]", "FieldValueDuplicate",
                "Duplicate value: " + goValue(v[j]));
        }
      }
    } else if (type == "map" && s.contains("x-kubernetes-list-map-keys") &&
               s["x-kubernetes-list-map-keys"].is_array()) {
      std::vector<json> seen;
      for (size_t j = 0; j < v.size(); ++j) {
        if (!v[j].is_object()) continue;  // a type error of its own
        json key = json::object();
        for (const auto& k : s["x-kubernetes-list-map-keys"]) {
          if (!k.is_string()) continue;
          const std::string name = k.get<std::string>();
          if (v[j].contains(name)) key[name] = v[j][name];
        }
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
          error(path + "[" + std::to_string(j) + "]", "FieldValueDuplicate",
                "Duplicate value: " + goValue(key));
        } else {
          seen.push_back(std::move(key));
        }
      }
    }
  }

  void walkObject(json& v, const json& s, const std::string& path) {
    const json* props =
        s.contains("properties") && s["properties"].is_object() ? &s["properties"] : nullptr;
    bool preserve = s.value("x-kubernetes-preserve-unknown-fields", false);
    bool embedded = s.value("x-kubernetes-embedded-resource", false);
    const json* additional =
        s.contains("additionalProperties") ? &s["additionalProperties"] : nullptr;
    if (props) {
      for (auto it = props->begin(); it != props->end(); ++it) {
        if (path.empty() && isTypeMetaOrMeta(it.key())) continue;
        const json& ps = it.value();
        if (v.contains(it.key()) && v[it.key()].is_null() && !ps.value("nullable", false) &&
            prune_) {
          v.erase(it.key());  // null for a non-nullable field is dropped, then defaulted
        }
        if (!v.contains(it.key()) && ps.contains("default") && prune_) v[it.key()] = ps["default"];
      }
    }
    for (auto it = v.begin(); it != v.end();) {
      const std::string key = it.key();
      std::string child = join(path, key);
      if (path.empty() && isTypeMetaOrMeta(key)) {
        ++it;  // the root's ObjectMeta and type fields are not the schema's business
        continue;
      }
      if (props && props->contains(key)) {
        walk(it.value(), (*props)[key], child);
      } else if (additional && additional->is_object()) {
        walk(it.value(), *additional, child);
      } else if (embedded && (key == "apiVersion" || key == "kind" || key == "metadata")) {
        // embedded ObjectMeta and type fields are kept as they are
      } else if (!preserve &&
                 !(additional && additional->is_boolean() && additional->get<bool>())) {
        out_.unknown_fields.push_back(child);
        if (prune_) {
          it = v.erase(it);
          continue;
        }
      }
      ++it;
    }
    if (s.contains("required") && s["required"].is_array()) {
      for (const auto& r : s["required"]) {
        if (r.is_string() && !v.contains(r.get<std::string>()) &&
            !(path.empty() && isTypeMetaOrMeta(r.get<std::string>()))) {
          error(join(path, r.get<std::string>()), "FieldValueRequired", "Required value");
        }
      }
    }
    if (s.contains("maxProperties") && v.size() > s["maxProperties"].get<size_t>()) {
      error(path, "FieldValueTooMany",
            "Too many: " + std::to_string(v.size()) + ": must have at most " +
                s["maxProperties"].dump() + " items");
    }
    if (s.contains("minProperties") && v.size() < s["minProperties"].get<size_t>()) {
      error(path, "FieldValueInvalid",
            "Invalid value: " + std::to_string(v.size()) + ": " + path +
                " in body should have at least " + s["minProperties"].dump() + " properties");
    }
  }

  // Value validations only: combinators neither prune nor default (structural-schema rule).
  static bool satisfies(const json& v, const json& s) {
    SchemaOutcome scratch;
    json copy = v;
    Walker w(scratch, false);
    w.walk(copy, s, "x");
    return scratch.errors.empty();
  }

  void checkCombinators(const json& v, const json& s, const std::string& path) {
    std::string where = path.empty() ? "<root>" : path;
    if (s.contains("allOf") && s["allOf"].is_array()) {
      for (const auto& sub : s["allOf"]) {
        if (!satisfies(v, sub)) {
          error(path, "FieldValueInvalid",
                "Invalid value: \"object\": " + where +
                    " in body must validate all the schemas (allOf)");
          break;
        }
      }
    }
    if (s.contains("anyOf") && s["anyOf"].is_array()) {
      bool any = std::any_of(s["anyOf"].begin(), s["anyOf"].end(),
                             [&](const json& sub) { return satisfies(v, sub); });
      if (!any)
        error(path, "FieldValueInvalid",
              "Invalid value: \"object\": " + where +
                  " in body must validate at least one schema (anyOf)");
    }
    if (s.contains("oneOf") && s["oneOf"].is_array()) {
      int n = 0;
      for (const auto& sub : s["oneOf"])
        n += satisfies(v, sub) ? 1 : 0;
      if (n != 1)
        error(path, "FieldValueInvalid",
              "Invalid value: \"object\": " + where +
                  " in body must validate one and only one schema (oneOf). Found " +
                  std::to_string(n) + " valid alternatives");
    }
    if (s.contains("not") && s["not"].is_object() && satisfies(v, s["not"])) {
      error(path, "FieldValueInvalid",
            "Invalid value: \"object\": " + where + " in body must not validate the schema (not)");
    }
  }

  SchemaOutcome& out_;
  bool prune_;
};

// apiextensions-apiserver's hasBlockingErr: these schema errors mean the object does not have
// the shape the CEL rules were written for, so they are not run.
bool blocksRules(const std::vector<FieldError>& errors) {
  return std::any_of(errors.begin(), errors.end(), [](const FieldError& e) {
    return e.reason == "FieldValueNotSupported" || e.reason == "FieldValueRequired" ||
           e.reason == "FieldValueTooLong" || e.reason == "FieldValueTooMany" ||
           e.reason == "FieldValueTypeInvalid";
  });
}

}  // namespace

SchemaOutcome validateCustomResource(
    json& object, const json& schema, const json* old,
    const std::function<std::vector<FieldError>(const json&)>& between) {
  SchemaOutcome out;
  if (!object.is_object()) {
    out.errors.push_back({"", "FieldValueTypeInvalid", "Invalid value: must be an object"});
    return out;
  }
  static const json kPreserveAll = {{"type", "object"},
                                    {"x-kubernetes-preserve-unknown-fields", true}};
  Walker walker(out, true);
  walker.walk(object, schema.is_object() ? schema : kPreserveAll, "");
  if (object.contains("metadata")) walker.walkMetadata(object["metadata"]);
  const bool blocked = blocksRules(out.errors);
  if (between) {
    std::vector<FieldError> more = between(object);
    out.errors.insert(out.errors.end(), more.begin(), more.end());
  }
  if (schema.is_object() && hasValidationRules(schema)) {
    if (blocked) {
      out.errors.push_back({"<nil>", "FieldValueInvalid",
                            "Invalid value: \"null\": some validation rules were not checked "
                            "because the object was invalid; correct the existing errors to "
                            "complete validation"});
    } else {
      checkValidationRules(object, old, schema, out.errors, out.warnings);
    }
  }
  return out;
}

}  // namespace mr::apiserver
