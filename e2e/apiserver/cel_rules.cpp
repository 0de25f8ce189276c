#include "cel_rules.h"

#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "cel_subset.h"

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

Result<cel::ProgramPtr> compiled(const std::string& source) {
  static std::mutex mu;
  static std::map<std::string, Result<cel::ProgramPtr>> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(source);
  if (it == cache.end()) it = cache.emplace(source, cel::compile(source)).first;
  return it->second;
}

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

const json* member(const json& s, const char* key) {
  if (!s.is_object()) return nullptr;
  auto it = s.find(key);
  return it == s.end() ? nullptr : &*it;
}

// Calls visit(node, schema path) for every schema node a rule may sit on.
void forEachNode(const json& s, const std::string& path,
                 const std::function<void(const json&, const std::string&)>& visit) {
  if (!s.is_object()) return;
  visit(s, path);
  if (const json* props = member(s, "properties"); props && props->is_object()) {
    for (auto it = props->begin(); it != props->end(); ++it)
      forEachNode(it.value(), path + ".properties[" + it.key() + "]", visit);
  }
  if (const json* items = member(s, "items")) forEachNode(*items, path + ".items", visit);
  if (const json* add = member(s, "additionalProperties"))
    forEachNode(*add, path + ".additionalProperties", visit);
  if (const json* all = member(s, "allOf"); all && all->is_array()) {
    for (size_t i = 0; i < all->size(); ++i)
      forEachNode((*all)[i], path + ".allOf[" + std::to_string(i) + "]", visit);
  }
}

// The rule's fieldPath (".a.b", "['k']") as a suffix of the node's field path; empty when it
// does not parse (kube-apiserver refuses such a CRD).
std::string fieldPathSuffix(const std::string& field_path, const json& schema) {
  std::string out;
  const json* s = &schema;
  size_t p = 0;
  while (p < field_path.size()) {
    std::string name;
    if (field_path[p] == '.') {
      size_t end = field_path.find_first_of(".[", p + 1);
      if (end == std::string::npos) end = field_path.size();
      name = field_path.substr(p + 1, end - p - 1);
      p = end;
    } else if (field_path.compare(p, 2, "['") == 0) {
      size_t end = field_path.find("']", p + 2);
      if (end == std::string::npos) return "";
      name = field_path.substr(p + 2, end - p - 2);
      p = end + 2;
    } else {
      return "";
    }
    if (name.empty()) return "";
    const json* props = member(*s, "properties");
    const json* add = member(*s, "additionalProperties");
    if (props && props->contains(name)) {
      out += "." + name;
      s = &(*props)[name];
    } else if (add && add->is_object()) {
      out += "[" + name + "]";
      s = add;
    } else {
      return "";
    }
  }
  return out;
}

FieldError fieldError(const std::string& field, const std::string& reason, const std::string& type,
                      const std::string& detail) {
  const std::string value = json(type).dump();
  if (reason == "FieldValueForbidden") return {field, reason, "Forbidden: " + detail};
  if (reason == "FieldValueRequired") return {field, reason, "Required value: " + detail};
  if (reason == "FieldValueDuplicate") return {field, reason, "Duplicate value: " + value};
  return {field, "FieldValueInvalid", "Invalid value: " + value + ": " + detail};
}

class RuleWalker {
 public:
  RuleWalker(std::vector<FieldError>& errors, std::vector<std::string>& warnings)
      : errors_(errors), warnings_(warnings) {}

  // `old` is the correlated stored value (null when there is none); `unchanged` says whether
  // this node, or its nearest correlatable ancestor, equals the stored value (ratcheting).
  void walk(const json& v, const json* old, bool unchanged, const json& s,
            const std::string& path) {
    if (!s.is_object() || v.is_null()) return;
    const std::string type = s.value("type", "");
    evaluateRules(v, old, unchanged, s, type, path);
    if (const json* all = member(s, "allOf"); all && all->is_array()) {
      for (const auto& sub : *all)
        evaluateRules(v, old, unchanged, sub, type, path);
    }
    if (v.is_object()) {
      const json* props = member(s, "properties");
      const json* add = member(s, "additionalProperties");
      const bool correlates = s.value("x-kubernetes-map-type", "") != "atomic";
      for (auto it = v.begin(); it != v.end(); ++it) {
        const json* child = props && props->contains(it.key()) ? &(*props)[it.key()]
                            : add && add->is_object()          ? add
                                                               : nullptr;
        if (!child) continue;
        const json* old_child = nullptr;
        if (correlates && old && old->is_object() && old->contains(it.key()))
          old_child = &(*old)[it.key()];
        walk(it.value(), old_child, old_child ? *old_child == it.value() : unchanged, *child,
             join(path, it.key()));
      }
    } else if (v.is_array()) {
      const json* items = member(s, "items");
      if (!items) return;
      for (size_t i = 0; i < v.size(); ++i) {
        const json* old_item = correlatedItem(v[i], old, s);
        walk(v[i], old_item, old_item ? *old_item == v[i] : unchanged, *items,
             path + "[" + std::to_string(i) + "]");
      }
    }
  }

 private:
  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  // Only x-kubernetes-list-type=map items correlate, by their x-kubernetes-list-map-keys.
  static const json* correlatedItem(const json& item, const json* old, const json& s) {
    if (!old || !old->is_array() || s.value("x-kubernetes-list-type", "") != "map") return nullptr;
    const json* keys = member(s, "x-kubernetes-list-map-keys");
    if (!keys || !keys->is_array() || !item.is_object()) return nullptr;
    for (const auto& candidate : *old) {
      if (!candidate.is_object()) continue;
      bool same = true;
      for (const auto& k : *keys) {
        if (!k.is_string()) continue;
        const std::string key = k.get<std::string>();
        if (item.value(key, json()) != candidate.value(key, json())) same = false;
      }
      if (same) return &candidate;
    }
    return nullptr;
  }

  void evaluateRules(const json& v, const json* old, bool unchanged, const json& s,
                     const std::string& type, const std::string& path) {
    const json* rules = member(s, "x-kubernetes-validations");
    if (!rules || !rules->is_array()) return;
    const std::string field = path.empty() ? "<nil>" : path;
    for (const auto& rule : *rules) {
      if (!rule.is_object()) continue;
      const std::string source = rule.value("rule", "");
      Result<cel::ProgramPtr> program = compiled(source);
      if (trim(source).empty() || !program.isOk()) continue;  // said at CRD registration
      const bool transition = program.value()->usesOldSelf();
      if (transition && !old) continue;
      const std::string message = trim(rule.value("message", ""));
      const std::string rule_string = message.empty() ? trim(source) : message;
      cel::Evaluation result = cel::evaluate(*program.value(), v, s, old);
      if (result.kind != cel::Evaluation::Kind::kBool) {
        std::string err =
            result.kind == cel::Evaluation::Kind::kError ? result.text : "no such overload";
        std::string detail = err;
        if (err.rfind("no such overload", 0) == 0) {
          detail.insert(0, "'");
          detail +=
              "': call arguments did not match a supported operator, function or macro "
              "signature for rule: ";
        } else {
          detail += " evaluating rule: ";
        }
        detail += rule_string;
        errors_.push_back(fieldError(field, "FieldValueInvalid", type, detail));
        continue;
      }
      if (result.boolean) continue;
      std::string detail = message.empty() ? "failed rule: " + rule_string : message;
      if (auto custom = messageExpression(rule, v, old, s)) detail = *custom;
      std::string at = path + fieldPathSuffix(rule.value("fieldPath", ""), s);
      if (!at.empty() && at[0] == '.') at.erase(0, 1);
      FieldError e = fieldError(at.empty() ? "<nil>" : at,
                                rule.value("reason", "FieldValueInvalid"), type, detail);
      if (!transition && unchanged) {
        warnings_.push_back(e.toString());
      } else {
        errors_.push_back(std::move(e));
      }
    }
  }

  // The evaluated messageExpression, or nothing when it is absent, fails, or is not a
  // non-empty single-line string (then the message or the default is used).
  static std::optional<std::string> messageExpression(const json& rule, const json& v,
                                                      const json* old, const json& s) {
    const std::string source = rule.value("messageExpression", "");
    if (trim(source).empty()) return std::nullopt;
    Result<cel::ProgramPtr> program = compiled(source);
    if (!program.isOk() || (program.value()->usesOldSelf() && !old)) return std::nullopt;
    cel::Evaluation result = cel::evaluate(*program.value(), v, s, old);
    if (result.kind != cel::Evaluation::Kind::kString) return std::nullopt;
    std::string text = trim(result.text);
    if (text.empty() || text.size() > 5000 || text.find('\n') != std::string::npos)
      return std::nullopt;
    return text;
  }

  std::vector<FieldError>& errors_;
  std::vector<std::string>& warnings_;
};

}  // namespace

bool hasValidationRules(const json& schema) {
  bool any = false;
  forEachNode(schema, "openAPIV3Schema", [&](const json& node, const std::string&) {
    if (const json* r = member(node, "x-kubernetes-validations"); r && r->is_array() && !r->empty())
      any = true;
  });
  return any;
}

std::vector<std::string> unsupportedRules(const json& schema) {
  std::vector<std::string> out;
  forEachNode(schema, "openAPIV3Schema", [&](const json& node, const std::string& path) {
    const json* rules = member(node, "x-kubernetes-validations");
    if (!rules || !rules->is_array()) return;
    for (size_t i = 0; i < rules->size(); ++i) {
      const json& rule = (*rules)[i];
      if (!rule.is_object()) continue;
      for (const char* key : {"rule", "messageExpression"}) {
        const std::string source = rule.value(key, "");
        if (trim(source).empty()) continue;
        Result<cel::ProgramPtr> program = compiled(source);
        if (!program.isOk()) {
          std::string line = path;
          line += ".x-kubernetes-validations[" + std::to_string(i) + "].";
          line += key;
          line += ": " + source;
          line += ": " + program.status().message();
          out.push_back(std::move(line));
        }
      }
      if (rule.value("optionalOldSelf", false))
        out.push_back(path + ".x-kubernetes-validations[" + std::to_string(i) +
                      "].optionalOldSelf: not supported (the rule runs only on correlated "
                      "updates)");
    }
  });
  return out;
}

void checkValidationRules(const json& object, const json* old, const json& schema,
                          std::vector<FieldError>& errors, std::vector<std::string>& warnings) {
  RuleWalker walker(errors, warnings);
  walker.walk(object, old, old && *old == object, schema, "");
}

}  // namespace mr::apiserver
