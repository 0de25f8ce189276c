#include "k8s/label_selector.h"

#include <algorithm>
#include <cctype>

#include "common/json_read.h"

namespace mr::k8s {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return std::string(s);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> splitTopLevel(const std::string& text) {
  std::vector<std::string> parts;
  int depth = 0;
  std::string current;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(trim(current));
  return parts;
}

bool validToken(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}

Result<std::vector<std::string>> parseValueSet(std::string_view rest) {
  std::string body = trim(rest);
  if (body.size() < 2 || body.front() != '(' || body.back() != ')') {
    return invalidArgument("expected (values) in label selector, got '" + body + "'");
  }
  std::vector<std::string> values;
  std::string inner = body.substr(1, body.size() - 2);
  size_t start = 0;
  while (start <= inner.size()) {
    size_t comma = inner.find(',', start);
    if (comma == std::string::npos) comma = inner.size();
    std::string v = trim(std::string_view(inner).substr(start, comma - start));
    if (!v.empty()) values.push_back(v);
    start = comma + 1;
  }
  return values;
}

Result<LabelSelector::Requirement> parseRequirement(const std::string& part) {
  using Op = LabelSelector::Op;
  if (part.front() == '!') {
    std::string key = trim(std::string_view(part).substr(1));
    if (!validToken(key)) return invalidArgument("bad label key '" + key + "'");
    return LabelSelector::Requirement{key, Op::kNotExists, {}};
  }
  for (auto [word, op] : {std::pair{" notin ", Op::kNotIn}, std::pair{" in ", Op::kIn}}) {
    const size_t at = part.find(word);
    if (at != std::string::npos) {
      std::string key = trim(std::string_view(part).substr(0, at));
      auto values = parseValueSet(std::string_view(part).substr(at + std::string(word).size()));
      if (!values.isOk()) return values.status();
      if (!validToken(key)) return invalidArgument("bad label key '" + key + "'");
      return LabelSelector::Requirement{key, op, std::move(*values)};
    }
  }
  for (auto [token, op] : {std::pair{"!=", Op::kNotEquals}, std::pair{"==", Op::kEquals},
                           std::pair{"=", Op::kEquals}}) {
    const size_t at = part.find(token);
    if (at != std::string::npos) {
      std::string key = trim(std::string_view(part).substr(0, at));
      std::string value = trim(std::string_view(part).substr(at + std::string(token).size()));
      if (!validToken(key)) return invalidArgument("bad label key '" + key + "'");
      if (!value.empty() && !validToken(value)) {
        return invalidArgument("bad label value '" + value + "'");
      }
      return LabelSelector::Requirement{key, op, {value}};
    }
  }
  if (!validToken(part)) return invalidArgument("bad label selector term '" + part + "'");
  return LabelSelector::Requirement{part, Op::kExists, {}};
}

}  // namespace

Result<LabelSelector> LabelSelector::parse(const std::string& text) {
  LabelSelector selector;
  if (trim(text).empty()) return selector;
  for (const std::string& part : splitTopLevel(text)) {
    if (part.empty()) return invalidArgument("empty term in label selector '" + text + "'");
    auto req = parseRequirement(part);
    if (!req.isOk()) return req.status();
    selector.requirements_.push_back(std::move(*req));
  }
  return selector;
}

Result<LabelSelector> LabelSelector::fromJson(const Json& selector) {
  LabelSelector out;
  if (selector.is_null()) return out;
  if (!selector.is_object()) return invalidArgument("label selector must be an object");
  if (auto it = selector.find("matchLabels"); it != selector.end() && it->is_object()) {
    for (auto& [k, v] : it->items()) {
      if (!v.is_string()) return invalidArgument("matchLabels." + k + " must be a string");
      out.requirements_.push_back({k, Op::kEquals, {v.get<std::string>()}});
    }
  }
  if (auto it = selector.find("matchExpressions"); it != selector.end() && it->is_array()) {
    for (const Json& expr : *it) {
      if (!expr.is_object()) return invalidArgument("matchExpressions items must be objects");
      Requirement req{jsonString(expr, "key"), Op::kIn, {}};
      const std::string op = jsonString(expr, "operator");
      if (op == "In")
        req.op = Op::kIn;
      else if (op == "NotIn")
        req.op = Op::kNotIn;
      else if (op == "Exists")
        req.op = Op::kExists;
      else if (op == "DoesNotExist")
        req.op = Op::kNotExists;
      else
        return invalidArgument("unknown matchExpressions operator '" + op + "'");
      if (auto values = expr.find("values"); values != expr.end() && values->is_array()) {
        for (const Json& v : *values) {
          if (!v.is_string()) return invalidArgument("matchExpressions values must be strings");
          req.values.push_back(v.get<std::string>());
        }
      }
      out.requirements_.push_back(std::move(req));
    }
  }
  return out;
}

bool LabelSelector::matches(const Json& labels) const {
  for (const Requirement& req : requirements_) {
    const Json* value = nullptr;
    if (labels.is_object()) {
      auto it = labels.find(req.key);
      if (it != labels.end() && it->is_string()) value = &*it;
    }
    const auto in_values = [&] {
      return value && std::find(req.values.begin(), req.values.end(),
                                value->get_ref<const std::string&>()) != req.values.end();
    };
    switch (req.op) {
      case Op::kEquals:
      case Op::kIn:
        if (!in_values()) return false;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        if (in_values()) return false;
        break;
      case Op::kExists:
        if (!value) return false;
        break;
      case Op::kNotExists:
        if (value) return false;
        break;
    }
  }
  return true;
}

bool LabelSelector::matchesObject(const Json& object) const {
  static const Json kNoLabels;
  auto meta = object.find("metadata");
  if (meta == object.end()) return matches(kNoLabels);
  auto labels = meta->find("labels");
  return matches(labels == meta->end() ? kNoLabels : *labels);
}

std::string LabelSelector::toString() const {
  std::string out;
  for (const Requirement& req : requirements_) {
    if (!out.empty()) out += ",";
    const auto join = [&] {
      std::string s = "(";
      for (size_t i = 0; i < req.values.size(); ++i)
        s += (i ? "," : "") + req.values[i];
      return s + ")";
    };
    switch (req.op) {
      case Op::kEquals:
        out += req.key + "=" + req.values.at(0);
        break;
      case Op::kNotEquals:
        out += req.key + "!=" + req.values.at(0);
        break;
      case Op::kExists:
        out += req.key;
        break;
      case Op::kNotExists:
        out += "!" + req.key;
        break;
      case Op::kIn:
        out += req.key + " in " + join();
        break;
      case Op::kNotIn:
        out += req.key + " notin " + join();
        break;
    }
  }
  return out;
}

}  // namespace mr::k8s
