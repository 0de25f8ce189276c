#include "selectors.h"

#include <algorithm>
#include <cctype>

namespace mr::apiserver {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> splitTopLevel(const std::string& text) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty() || !out.empty()) out.push_back(trim(cur));
  return out;
}

bool validLabelPart(const std::string& s, bool allow_empty) {
  if (s.empty()) return allow_empty;
  if (s.size() > 316) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}

}  // namespace

Result<LabelSelector> LabelSelector::parse(const std::string& text) {
  LabelSelector sel;
  for (const std::string& part : splitTopLevel(text)) {
    if (part.empty()) return invalidArgument("unable to parse requirement: empty requirement");
    Requirement r;
    size_t sp = part.find(' ');
    std::string lower = part;
    if (part[0] == '!') {
      r.key = trim(part.substr(1));
      r.op = Op::kNotExists;
    } else if (size_t p = part.find("!="); p != std::string::npos) {
      r.key = trim(part.substr(0, p));
      r.op = Op::kNotEq;
      r.values = {trim(part.substr(p + 2))};
    } else if (size_t p2 = part.find("=="); p2 != std::string::npos) {
      r.key = trim(part.substr(0, p2));
      r.op = Op::kEq;
      r.values = {trim(part.substr(p2 + 2))};
    } else if (size_t p3 = part.find('='); p3 != std::string::npos) {
      r.key = trim(part.substr(0, p3));
      r.op = Op::kEq;
      r.values = {trim(part.substr(p3 + 1))};
    } else if (sp != std::string::npos) {
      r.key = trim(part.substr(0, sp));
      std::string rest = trim(part.substr(sp));
      if (rest.rfind("notin", 0) == 0) {
        r.op = Op::kNotIn;
        rest = trim(rest.substr(5));
      } else if (rest.rfind("in", 0) == 0) {
        r.op = Op::kIn;
        rest = trim(rest.substr(2));
      } else {
        return invalidArgument("unable to parse requirement: " + part);
      }
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
        return invalidArgument("unable to parse requirement: expected '(' in " + part);
      }
      std::string inner = rest.substr(1, rest.size() - 2);
      size_t pos = 0;
      while (pos <= inner.size()) {
        size_t c = inner.find(',', pos);
        if (c == std::string::npos) c = inner.size();
        r.values.push_back(trim(inner.substr(pos, c - pos)));
        pos = c + 1;
      }
    } else {
      r.key = trim(part);
      r.op = Op::kExists;
    }
    if (!validLabelPart(r.key, false))
      return invalidArgument("invalid label key \"" + r.key + "\"");
    for (const auto& v : r.values) {
      if (!validLabelPart(v, true) || v.find('/') != std::string::npos) {
        return invalidArgument("invalid label value: \"" + v + "\"");
      }
    }
    sel.reqs_.push_back(std::move(r));
  }
  return sel;
}

bool LabelSelector::matches(const nlohmann::json& labels) const {
  for (const auto& r : reqs_) {
    bool has = labels.is_object() && labels.contains(r.key) && labels[r.key].is_string();
    std::string v = has ? labels[r.key].get<std::string>() : "";
    bool in_values = has && std::find(r.values.begin(), r.values.end(), v) != r.values.end();
    switch (r.op) {
      case Op::kEq:
      case Op::kIn:
        if (!in_values) return false;
        break;
      case Op::kNotEq:
      case Op::kNotIn:
        if (in_values) return false;
        break;
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kNotExists:
        if (has) return false;
        break;
    }
  }
  return true;
}

Result<FieldSelector> FieldSelector::parse(const std::string& text) {
  FieldSelector sel;
  for (const std::string& part : splitTopLevel(text)) {
    Requirement r;
    size_t p;
    if ((p = part.find("!=")) != std::string::npos) {
      r = {trim(part.substr(0, p)), false, trim(part.substr(p + 2))};
    } else if ((p = part.find("==")) != std::string::npos) {
      r = {trim(part.substr(0, p)), true, trim(part.substr(p + 2))};
    } else if ((p = part.find('=')) != std::string::npos) {
      r = {trim(part.substr(0, p)), true, trim(part.substr(p + 1))};
    } else {
      return invalidArgument("invalid selector: '" + text + "'; can't understand '" + part + "'");
    }
    if (r.path.empty()) return invalidArgument("invalid field selector: " + part);
    sel.reqs_.push_back(std::move(r));
  }
  return sel;
}

bool FieldSelector::matches(const nlohmann::json& object) const {
  for (const auto& r : reqs_) {
    const nlohmann::json* cur = &object;
    size_t pos = 0;
    while (cur && pos <= r.path.size()) {
      size_t dot = r.path.find('.', pos);
      if (dot == std::string::npos) dot = r.path.size();
      std::string seg = r.path.substr(pos, dot - pos);
      cur = cur->is_object() && cur->contains(seg) ? &(*cur)[seg] : nullptr;
      pos = dot + 1;
    }
    std::string value;
    if (cur && cur->is_string()) {
      value = cur->get<std::string>();
    } else if (cur && !cur->is_null()) {
      value = cur->dump();
    }
    if ((value == r.value) != r.equal) return false;
  }
  return true;
}

}  // namespace mr::apiserver
