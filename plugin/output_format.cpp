#include "plugin/output_format.h"

#include <algorithm>
#include <cctype>

namespace mr::plugin {
namespace {

using Json = nlohmann::json;

bool plainSafe(const std::string& s) {
  if (s.empty() || s.size() > 200) return false;
  if (std::string("-+.?:,[]{}#&*!|>'\"%@`~ ").find(s.front()) != std::string::npos) return false;
  // A leading digit reads as a number (1.5, 1e3, 0x1f, 1_000, 1:30) unless some character
  // could not belong to one ("24h", "3d-old").
  if (std::isdigit(static_cast<unsigned char>(s.front())) &&
      s.find_first_not_of("0123456789.+-_:xXoOaAbBcCdDeEfF") == std::string::npos) {
    return false;
  }
  if (s.back() == ' ' || s.back() == ':') return false;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return false;
  }
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* kSpecial[] = {"true", "false", "yes", "no", "on", "off", "y", "n", "null"};
  return std::none_of(std::begin(kSpecial), std::end(kSpecial),
                      [&](const char* w) { return lower == w; });
}

std::string scalar(const Json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return plainSafe(s) ? s : v.dump();
  }
  return v.dump();  // null, booleans, numbers: JSON spelling is YAML spelling
}

std::string key(const std::string& k) {
  return plainSafe(k) ? k : Json(k).dump();
}

bool isEmptyCollection(const Json& v) {
  return (v.is_object() || v.is_array()) && v.empty();
}

void emit(const Json& v, int indent, std::string& out);

// A value after "key:" or "- ": inline when scalar or empty, else on the following lines.
void emitAfterKey(const Json& v, int indent, std::string& out) {
  if (isEmptyCollection(v)) {
    out += v.is_object() ? " {}\n" : " []\n";
  } else if (v.is_object()) {
    out += "\n";
    emit(v, indent + 2, out);
  } else if (v.is_array()) {
    out += "\n";
    emit(v, indent, out);  // kubectl style: list items at the key's indentation
  } else {
    out += " " + scalar(v) + "\n";
  }
}

void emit(const Json& v, int indent, std::string& out) {
  const std::string pad(indent, ' ');
  if (v.is_object()) {
    for (const auto& [k, child] : v.items()) {
      out += pad + key(k) + ":";
      emitAfterKey(child, indent, out);
    }
  } else if (v.is_array()) {
    for (const Json& item : v) {
      if ((item.is_object() || item.is_array()) && !item.empty()) {
        std::string nested;
        emit(item, indent + 2, nested);
        out += pad + "- " + nested.substr(indent + 2);  // first line joins the dash
      } else {
        out += pad + "-" +
               (isEmptyCollection(item) ? (item.is_object() ? " {}" : " []") : " " + scalar(item)) +
               "\n";
      }
    }
  } else {
    out += pad + scalar(v) + "\n";
  }
}

Json withoutManagedFields(Json v) {
  if (v.is_object()) {
    if (auto md = v.find("metadata"); md != v.end() && md->is_object()) md->erase("managedFields");
    if (auto items = v.find("items"); items != v.end() && items->is_array()) {
      for (Json& item : *items)
        item = withoutManagedFields(std::move(item));
    }
  }
  return v;
}

}  // namespace

std::string toYaml(const Json& value) {
  if (isEmptyCollection(value)) return value.is_object() ? "{}\n" : "[]\n";
  std::string out;
  emit(value, 0, out);
  return out;
}

std::string formatObject(const Json& object, const std::string& format) {
  const Json clean = withoutManagedFields(object);
  if (format == "yaml") return toYaml(clean);
  return clean.dump(2) + "\n";
}

}  // namespace mr::plugin
