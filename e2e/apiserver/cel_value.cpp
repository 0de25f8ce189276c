#include "cel_value.h"

#include <cmath>
#include <limits>

namespace mr::apiserver::cel {
namespace {

using json = nlohmann::json;

const json& emptySchema() {
  static const json k = json::object();
  return k;
}

const json& child(const json& schema, const char* key) {
  if (schema.is_object()) {
    auto it = schema.find(key);
    if (it != schema.end() && it->is_object()) return *it;
  }
  return emptySchema();
}

int sign(double x) {
  return x < 0 ? -1 : (x > 0 ? 1 : 0);
}

// Numbers of any kind compared by value (cel-go's cross-type numeric comparison).
int compareNumbers(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.kind == K::kInt && b.kind == K::kInt) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  if (a.kind == K::kUint && b.kind == K::kUint) return a.u < b.u ? -1 : (a.u > b.u ? 1 : 0);
  if (a.kind == K::kInt && b.kind == K::kUint) {
    if (a.i < 0) return -1;
    auto x = static_cast<uint64_t>(a.i);
    return x < b.u ? -1 : (x > b.u ? 1 : 0);
  }
  if (a.kind == K::kUint && b.kind == K::kInt) return -compareNumbers(b, a);
  auto asDouble = [](const Value& v) {
    if (v.kind == K::kInt) return static_cast<double>(v.i);
    if (v.kind == K::kUint) return static_cast<double>(v.u);
    return v.d;
  };
  return sign(asDouble(a) - asDouble(b));
}

}  // namespace

Value Value::error(std::string message) {
  Value v;
  v.kind = Kind::kError;
  v.s = std::move(message);
  return v;
}
Value Value::boolean(bool x) {
  Value v;
  v.kind = Kind::kBool;
  v.b = x;
  return v;
}
Value Value::integer(int64_t x) {
  Value v;
  v.kind = Kind::kInt;
  v.i = x;
  return v;
}
Value Value::uinteger(uint64_t x) {
  Value v;
  v.kind = Kind::kUint;
  v.u = x;
  return v;
}
Value Value::real(double x) {
  Value v;
  v.kind = Kind::kDouble;
  v.d = x;
  return v;
}
Value Value::string(std::string x) {
  Value v;
  v.kind = Kind::kString;
  v.s = std::move(x);
  return v;
}
Value Value::duration(int64_t nanos) {
  Value v;
  v.kind = Kind::kDuration;
  v.i = nanos;
  return v;
}
Value Value::type(std::string name) {
  Value v;
  v.kind = Kind::kType;
  v.s = std::move(name);
  return v;
}
Value Value::ofList(ValueList items) {
  Value v;
  v.kind = Kind::kList;
  v.list = std::make_shared<const ValueList>(std::move(items));
  return v;
}
Value Value::ofMap(ValueMap entries, bool object) {
  Value v;
  v.kind = Kind::kMap;
  v.map = std::make_shared<const ValueMap>(std::move(entries));
  v.object = object;
  return v;
}

std::string Value::typeName() const {
  switch (kind) {
    case Kind::kError:
      return "error";
    case Kind::kNull:
      return "null_type";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kUint:
      return "uint";
    case Kind::kDouble:
      return "double";
    case Kind::kString:
      return "string";
    case Kind::kDuration:
      return "google.protobuf.Duration";
    case Kind::kList:
      return "list";
    case Kind::kMap:
      return "map";
    case Kind::kType:
      return "type";
  }
  return "dyn";
}

const Value* Value::find(const Value& key) const {
  if (kind != Kind::kMap) return nullptr;
  for (const auto& [k, v] : *map) {
    Value eq = equals(k, key);
    // Kubernetes treats a null field of an object with properties as absent.
    if (eq.kind == Kind::kBool && eq.b) return object && v.kind == Kind::kNull ? nullptr : &v;
  }
  return nullptr;
}

Value fromJson(const json& v, const json& schema) {
  if (v.is_null()) return Value::null();
  const bool int_or_string =
      schema.is_object() && schema.value("x-kubernetes-int-or-string", false);
  const std::string type =
      schema.is_object() && !int_or_string ? schema.value("type", std::string()) : std::string();
  if (v.is_boolean()) return Value::boolean(v.get<bool>());
  if (v.is_number()) {
    if (type == "number") return Value::real(v.get<double>());
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
      return Value::real(v.get<double>());
    if (v.is_number_integer()) return Value::integer(v.get<int64_t>());
    if (type == "integer" && std::floor(v.get<double>()) == v.get<double>())
      return Value::integer(static_cast<int64_t>(v.get<double>()));
    return Value::real(v.get<double>());
  }
  if (v.is_string()) return Value::string(v.get<std::string>());
  if (v.is_array()) {
    const json& items = child(schema, "items");
    ValueList out;
    out.reserve(v.size());
    for (const auto& e : v)
      out.push_back(fromJson(e, items));
    return Value::ofList(std::move(out));
  }
  const json& props = child(schema, "properties");
  const json& additional = child(schema, "additionalProperties");
  const bool object = !props.empty();
  ValueMap out;
  out.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it) {
    const json& s = props.contains(it.key()) ? props[it.key()] : additional;
    out.emplace_back(Value::string(it.key()), fromJson(it.value(), s));
  }
  return Value::ofMap(std::move(out), object);
}

Value equals(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.isError()) return a;
  if (b.isError()) return b;
  if (a.isNumber() && b.isNumber()) {
    if ((a.kind == K::kDouble && std::isnan(a.d)) || (b.kind == K::kDouble && std::isnan(b.d)))
      return Value::boolean(false);
    return Value::boolean(compareNumbers(a, b) == 0);
  }
  if (a.kind != b.kind) return Value::boolean(false);
  switch (a.kind) {
    case K::kNull:
      return Value::boolean(true);
    case K::kBool:
      return Value::boolean(a.b == b.b);
    case K::kString:
    case K::kType:
      return Value::boolean(a.s == b.s);
    case K::kDuration:
      return Value::boolean(a.i == b.i);
    case K::kList: {
      if (a.list->size() != b.list->size()) return Value::boolean(false);
      for (size_t i = 0; i < a.list->size(); ++i) {
        Value eq = equals((*a.list)[i], (*b.list)[i]);
        if (eq.isError() || !eq.b) return eq;
      }
      return Value::boolean(true);
    }
    case K::kMap: {
      if (a.map->size() != b.map->size()) return Value::boolean(false);
      for (const auto& [k, v] : *a.map) {
        const Value* other = b.find(k);
        if (!other) return Value::boolean(false);
        Value eq = equals(v, *other);
        if (eq.isError() || !eq.b) return eq;
      }
      return Value::boolean(true);
    }
    default:
      return Value::boolean(false);
  }
}

Ordering compare(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.isNumber() && b.isNumber()) return {compareNumbers(a, b), ""};
  if (a.kind == b.kind) {
    switch (a.kind) {
      case K::kString:
        return {a.s.compare(b.s) < 0 ? -1 : (a.s == b.s ? 0 : 1), ""};
      case K::kBool:
        return {int(a.b) - int(b.b), ""};
      case K::kDuration:
        return {a.i < b.i ? -1 : (a.i > b.i ? 1 : 0), ""};
      default:
        break;
    }
  }
  return {0, "no such overload"};
}

bool parseGoDuration(const std::string& text, int64_t& nanos) {
  // Mirrors Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0".
  std::string s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.erase(0, 1);
  }
  if (s == "0") {
    nanos = 0;
    return true;
  }
  if (s.empty()) return false;
  const uint64_t kMax = uint64_t(1) << 63;
  uint64_t total = 0;
  size_t p = 0;
  while (p < s.size()) {
    size_t start = p;
    uint64_t v = 0;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
      if (v > (kMax - 1) / 10) return false;
      v = v * 10 + uint64_t(s[p++] - '0');
      if (v > kMax) return false;
    }
    bool pre = p != start;
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (p < s.size() && s[p] == '.') {
      ++p;
      size_t fstart = p;
      while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
        if (f <= (kMax - 1) / 10) {
          f = f * 10 + uint64_t(s[p] - '0');
          scale *= 10;
        }
        ++p;
      }
      post = p != fstart;
    }
    if (!pre && !post) return false;
    size_t ustart = p;
    while (p < s.size() && s[p] != '.' && !std::isdigit(static_cast<unsigned char>(s[p])))
      ++p;
    std::string unit = s.substr(ustart, p - ustart);
    uint64_t mult = 0;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      mult = 1000;
    else if (unit == "ms")
      mult = 1000000;
    else if (unit == "s")
      mult = 1000000000;
    else if (unit == "m")
      mult = 60ULL * 1000000000;
    else if (unit == "h")
      mult = 3600ULL * 1000000000;
    else
      return false;
    if (v > kMax / mult) return false;
    v *= mult;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(mult) / scale));
      if (v > kMax) return false;
    }
    total += v;
    if (total > kMax) return false;
  }
  if (!neg && total > kMax - 1) return false;
  if (total == 0) {
    nanos = 0;
  } else {
    nanos = neg ? -static_cast<int64_t>(total - 1) - 1 : static_cast<int64_t>(total);
  }
  return true;
}

}  // namespace mr::apiserver::cel
