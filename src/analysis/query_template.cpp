#include "analysis/query_template.h"

namespace mr::analysis {

std::string escapePromqlString(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string promqlDuration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

Result<std::string> lookup(std::string_view name, const TemplateVars& v) {
  if (name == "namespace") return escapePromqlString(v.namespace_name);
  if (name == "rollout") return escapePromqlString(v.rollout);
  if (name == "role") return escapePromqlString(v.role);
  if (name == "revision") return escapePromqlString(v.revision);
  if (name == "stableRevision") return escapePromqlString(v.stable_revision);
  if (name == "canaryRevision") return escapePromqlString(v.canary_revision);
  if (name == "window") return promqlDuration(v.window);
  if (name == "elapsed") return promqlDuration(v.elapsed);
  return invalidArgument("unknown query variable {{" + std::string(name) +
                         "}} (known: namespace, rollout, role, revision, stableRevision, "
                         "canaryRevision, window, elapsed)");
}

}  // namespace

Result<std::string> renderQuery(std::string_view text, const TemplateVars& vars) {
  std::string out;
  out.reserve(text.size() + 64);
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, open - pos));
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return invalidArgument("unclosed \"{{\" at offset " + std::to_string(open) +
                             " in query template");
    }
    auto value = lookup(trim(text.substr(open + 2, close - open - 2)), vars);
    if (!value) return value.status();
    out += *value;
    pos = close + 2;
  }
  return out;
}

}  // namespace mr::analysis
