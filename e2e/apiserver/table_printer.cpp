#include "table_printer.h"

#include <algorithm>

#include "common/time_format.h"

namespace mr::apiserver {
namespace {

using json = nlohmann::json;

struct Column {
  std::string name, type, format, description, path;
  int priority = 0;
};

std::string str(const json& j, const std::string& path) {
  json v = evalJsonPath(j, path);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

std::string age(const json& obj, SystemTime now, const std::string& path) {
  json v = evalJsonPath(obj, path);
  if (!v.is_string()) return "<unknown>";
  Result<SystemTime> t = parseRfc3339(v.get<std::string>());
  if (!t.isOk()) return "<unknown>";
  return humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - t.value()));
}

std::string joinStrings(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string selectorString(const json& m) {
  if (!m.is_object() || m.empty()) return "<none>";
  std::vector<std::string> parts;
  for (auto it = m.begin(); it != m.end(); ++it)
    parts.push_back(it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump()));
  return joinStrings(parts, ",");
}

std::vector<Column> builtinColumns(const ResourceType& t) {
  const std::string& p = t.plural;
  if (p == "namespaces")
    return {{"Status", "string", "", "phase", ".status.phase"},
            {"Age", "date", "", "", ".metadata.creationTimestamp"}};
  if (p == "services") {
    return {{"Type", "string", "", "", ".spec.type"},
            {"Cluster-IP", "string", "", "", ".spec.clusterIP"},
            {"External-IP", "string", "", "", ""},
            {"Port(s)", "string", "", "", ""},
            {"Age", "date", "", "", ".metadata.creationTimestamp"},
            {"Selector", "string", "", "", ".spec.selector", 1}};
  }
  if (p == "configmaps")
    return {{"Data", "integer", "", "", ""},
            {"Age", "date", "", "", ".metadata.creationTimestamp"}};
  if (p == "secrets")
    return {{"Type", "string", "", "", ".type"},
            {"Data", "integer", "", "", ""},
            {"Age", "date", "", "", ".metadata.creationTimestamp"}};
  if (p == "deployments") {
    return {{"Ready", "string", "", "", ""},
            {"Up-to-date", "integer", "", "", ".status.updatedReplicas"},
            {"Available", "integer", "", "", ".status.availableReplicas"},
            {"Age", "date", "", "", ".metadata.creationTimestamp"},
            {"Containers", "string", "", "", "", 1},
            {"Images", "string", "", "", "", 1},
            {"Selector", "string", "", "", ".spec.selector.matchLabels", 1}};
  }
  if (p == "leases")
    return {{"Holder", "string", "", "", ".spec.holderIdentity"},
            {"Age", "date", "", "", ".metadata.creationTimestamp"}};
  if (p == "events") {
    return {{"Last Seen", "string", "", "", ""},
            {"Type", "string", "", "", ".type"},
            {"Reason", "string", "", "", ".reason"},
            {"Object", "string", "", "", ""},
            {"Message", "string", "", "", ""}};
  }
  if (p == "customresourcedefinitions")
    return {{"Created At", "date", "", "", ".metadata.creationTimestamp"}};
  return {{"Age", "date", "", "", ".metadata.creationTimestamp"}};
}

// Cells that are not a plain JSONPath lookup.
json builtinCell(const ResourceType& t, const Column& c, const json& o, SystemTime now) {
  const std::string& p = t.plural;
  if (p == "services" && c.name == "External-IP") return "<none>";
  if (p == "services" && c.name == "Port(s)") {
    std::vector<std::string> ports;
    for (const auto& port : o.value("spec", json::object()).value("ports", json::array())) {
      std::string s = std::to_string(port.value("port", 0));
      if (port.contains("nodePort")) s += ":" + std::to_string(port.value("nodePort", 0));
      ports.push_back(s + "/" + port.value("protocol", "TCP"));
    }
    return ports.empty() ? "<none>" : joinStrings(ports, ",");
  }
  if (p == "services" && c.name == "Selector")
    return selectorString(evalJsonPath(o, ".spec.selector"));
  if (p == "services" && c.name == "Cluster-IP")
    return str(o, c.path).empty() ? "<none>" : str(o, c.path);
  if ((p == "configmaps" || p == "secrets") && c.name == "Data") {
    size_t n =
        o.value("data", json::object()).size() + o.value("binaryData", json::object()).size();
    return n;
  }
  if (p == "deployments") {
    json status = o.value("status", json::object());
    std::vector<std::string> names, images;
    for (const auto& ct : evalJsonPath(o, ".spec.template.spec.containers")) {
      names.push_back(ct.value("name", ""));
      images.push_back(ct.value("image", ""));
    }
    if (c.name == "Ready")
      return std::to_string(status.value("readyReplicas", 0)) + "/" +
             std::to_string(evalJsonPath(o, ".spec.replicas").is_number()
                                ? evalJsonPath(o, ".spec.replicas").get<int>()
                                : 1);
    if (c.name == "Up-to-date") return status.value("updatedReplicas", 0);
    if (c.name == "Available") return status.value("availableReplicas", 0);
    if (c.name == "Containers") return joinStrings(names, ",");
    if (c.name == "Images") return joinStrings(images, ",");
    if (c.name == "Selector") return selectorString(evalJsonPath(o, c.path));
  }
  if (p == "events") {
    bool modern = t.group == "events.k8s.io";
    if (c.name == "Last Seen") {
      for (const char* f : {".series.lastObservedTime", ".lastTimestamp", ".eventTime",
                            ".deprecatedLastTimestamp", ".metadata.creationTimestamp"}) {
        if (evalJsonPath(o, f).is_string()) return age(o, now, f);
      }
      return "<unknown>";
    }
    json ref = evalJsonPath(o, modern ? ".regarding" : ".involvedObject");
    if (c.name == "Object") {
      std::string kind = ref.value("kind", "");
      std::transform(kind.begin(), kind.end(), kind.begin(), ::tolower);
      return kind + "/" + ref.value("name", "");
    }
    if (c.name == "Message") return str(o, modern ? ".note" : ".message");
  }
  if (p == "namespaces" && c.name == "Status") return str(o, c.path);
  if (c.type == "date") {
    return p == "customresourcedefinitions" ? json(str(o, c.path)) : json(age(o, now, c.path));
  }
  json v = evalJsonPath(o, c.path);
  return v.is_null() ? json("<none>") : v;
}

}  // namespace

std::string humanDuration(std::chrono::seconds d) {
  long long s = d.count();
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return std::to_string(s) + "s";
  long long m = s / 60;
  if (m < 10)
    return s % 60 == 0 ? std::to_string(m) + "m"
                       : std::to_string(m) + "m" + std::to_string(s % 60) + "s";
  if (m < 180) return std::to_string(m) + "m";
  long long h = s / 3600;
  if (h < 8)
    return m % 60 == 0 ? std::to_string(h) + "h"
                       : std::to_string(h) + "h" + std::to_string(m % 60) + "m";
  if (h < 48) return std::to_string(h) + "h";
  if (h < 24 * 8)
    return h % 24 == 0 ? std::to_string(h / 24) + "d"
                       : std::to_string(h / 24) + "d" + std::to_string(h % 24) + "h";
  if (h < 24 * 365 * 2) return std::to_string(h / 24) + "d";
  if (h < 24 * 365 * 8) {
    long long days = (h / 24) % 365;
    return days == 0 ? std::to_string(h / 24 / 365) + "y"
                     : std::to_string(h / 24 / 365) + "y" + std::to_string(days) + "d";
  }
  return std::to_string(h / 24 / 365) + "y";
}

json evalJsonPath(const json& object, const std::string& raw) {
  std::string path = raw;
  if (!path.empty() && path.front() == '{' && path.back() == '}')
    path = path.substr(1, path.size() - 2);
  const json* cur = &object;
  size_t i = 0;
  while (i < path.size() && cur) {
    if (path[i] == '.') {
      ++i;
      size_t e = path.find_first_of(".[", i);
      if (e == std::string::npos) e = path.size();
      std::string key = path.substr(i, e - i);
      i = e;
      if (key.empty()) continue;
      cur = cur->is_object() && cur->contains(key) ? &(*cur)[key] : nullptr;
    } else if (path[i] == '[') {
      size_t e = path.find(']', i);
      if (e == std::string::npos) return nullptr;
      std::string inner = path.substr(i + 1, e - i - 1);
      i = e + 1;
      if (!cur->is_array()) return nullptr;
      if (inner.rfind("?(@.", 0) == 0) {
        // [?(@.key=="value")]
        size_t eq = inner.find("==");
        if (eq == std::string::npos) return nullptr;
        std::string key = inner.substr(4, eq - 4);
        std::string val = inner.substr(eq + 2);
        if (!val.empty() && val.back() == ')') val.pop_back();
        if (val.size() >= 2 && (val.front() == '"' || val.front() == '\''))
          val = val.substr(1, val.size() - 2);
        const json* found = nullptr;
        for (const auto& e2 : *cur) {
          if (e2.is_object() && e2.contains(key) &&
              (e2[key].is_string() ? e2[key].get<std::string>() : e2[key].dump()) == val) {
            found = &e2;
            break;
          }
        }
        cur = found;
      } else if (inner == "*") {
        cur = cur->empty() ? nullptr : &(*cur)[0];
      } else {
        long idx = std::atol(inner.c_str());
        if (idx < 0) idx += static_cast<long>(cur->size());
        cur = idx >= 0 && static_cast<size_t>(idx) < cur->size() ? &(*cur)[static_cast<size_t>(idx)]
                                                                 : nullptr;
      }
    } else {
      return nullptr;
    }
  }
  return cur ? *cur : json();
}

json buildTable(const ResourceType& type, const std::string& version,
                const std::vector<ObjPtr>& objects, SystemTime now, bool with_columns) {
  std::vector<Column> cols;
  if (type.custom) {
    const ServedVersion* sv = type.version(version);
    if (sv && !sv->columns.empty()) {
      for (const auto& pc : sv->columns)
        cols.push_back({pc.name, pc.type, pc.format, pc.description, pc.json_path, pc.priority});
    } else {
      cols.push_back({"Age", "date", "", "", ".metadata.creationTimestamp"});
    }
  } else {
    cols = builtinColumns(type);
  }
  json table = {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", json::object()}};
  json defs = json::array();
  defs.push_back({{"name", "Name"},
                  {"type", "string"},
                  {"format", "name"},
                  {"description", "Name must be unique within a namespace."},
                  {"priority", 0}});
  for (const auto& c : cols) {
    defs.push_back({{"name", c.name},
                    {"type", c.type == "date" ? "string" : c.type},
                    {"format", c.format},
                    {"description", c.description},
                    {"priority", c.priority}});
  }
  table["columnDefinitions"] = with_columns ? defs : json::array();
  json rows = json::array();
  for (const auto& obj : objects) {
    json cells = json::array();
    cells.push_back(evalJsonPath(*obj, ".metadata.name"));
    for (const auto& c : cols) {
      if (type.custom) {
        json v = evalJsonPath(*obj, c.path);
        if (c.type == "date" && v.is_string()) v = age(*obj, now, c.path);
        cells.push_back(v);
      } else {
        cells.push_back(builtinCell(type, c, *obj, now));
      }
    }
    json meta = {{"kind", "PartialObjectMetadata"},
                 {"apiVersion", "meta.k8s.io/v1"},
                 {"metadata", obj->value("metadata", json::object())}};
    rows.push_back({{"cells", std::move(cells)}, {"object", std::move(meta)}});
  }
  table["rows"] = std::move(rows);
  return table;
}

}  // namespace mr::apiserver
