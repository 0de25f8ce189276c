// evaluate(): a tree-walking evaluator of the CEL subset (cel_subset.h). Errors are values
// (Value::Kind::kError) that propagate through operators and functions, except where CEL
// absorbs them: `false && error` is false, `true || error` is true, and all()/exists() let a
// decisive element win over an erroring one.
#include <charconv>
#include <cmath>
#include <limits>
#include <regex>
#include <set>

#include "cel_subset.h"
#include "cel_value.h"

namespace mr::apiserver::cel {
namespace {

using K = Value::Kind;

Value noOverload() {
  return Value::error("no such overload");
}
Value overflow() {
  return Value::error("integer overflow");
}

// Kubernetes escapes property names that are not CEL identifiers (`a-b` is `a__dash__b`).
std::string unescapeProperty(const std::string& name) {
  static const std::set<std::string> kReserved{
      "true",     "false",   "null",      "in",       "as",  "break",  "const",
      "continue", "else",    "for",       "function", "if",  "import", "let",
      "loop",     "package", "namespace", "return",   "var", "void",   "while"};
  if (name.size() > 4 && name.rfind("__", 0) == 0 && name.compare(name.size() - 2, 2, "__") == 0) {
    std::string inner = name.substr(2, name.size() - 4);
    if (kReserved.count(inner)) return inner;
  }
  std::string out;
  for (size_t i = 0; i < name.size();) {
    static const std::pair<const char*, const char*> kEscapes[] = {
        {"__underscores__", "__"}, {"__dash__", "-"}, {"__dot__", "."}, {"__slash__", "/"}};
    bool replaced = false;
    for (const auto& [from, to] : kEscapes) {
      std::string f(from);
      if (name.compare(i, f.size(), f) == 0) {
        out += to;
        i += f.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += name[i++];
  }
  return out;
}

size_t codePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string formatDouble(double d) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

class Evaluator {
 public:
  Evaluator(Value self, Value old_self) : self_(std::move(self)), old_self_(std::move(old_self)) {}

  Value eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return e.value;
      case Expr::Kind::kIdent:
        return lookup(e.name);
      case Expr::Kind::kSelect:
        return select(eval(*e.args[0]), e.name, false);
      case Expr::Kind::kHas:
        return select(eval(*e.args[0]), e.name, true);
      case Expr::Kind::kIndex:
        return index(eval(*e.args[0]), eval(*e.args[1]));
      case Expr::Kind::kCall:
        return call(e);
      case Expr::Kind::kUnary:
        return unary(e.name, eval(*e.args[0]));
      case Expr::Kind::kBinary:
        return binary(e);
      case Expr::Kind::kTernary: {
        Value c = eval(*e.args[0]);
        if (c.isError()) return c;
        if (c.kind != K::kBool) return noOverload();
        return eval(*e.args[c.b ? 1 : 2]);
      }
      case Expr::Kind::kList: {
        ValueList items;
        for (const auto& a : e.args) {
          items.push_back(eval(*a));
          if (items.back().isError()) return items.back();
        }
        return Value::ofList(std::move(items));
      }
      case Expr::Kind::kMap: {
        ValueMap entries;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          Value k = eval(*e.args[i]);
          Value v = eval(*e.args[i + 1]);
          if (k.isError()) return k;
          if (v.isError()) return v;
          if (!(k.kind == K::kString || k.kind == K::kInt || k.kind == K::kUint ||
                k.kind == K::kBool))
            return Value::error("unsupported key type");
          for (const auto& [ek, ev] : entries) {
            Value same = equals(ek, k);
            if (same.kind == K::kBool && same.b) return Value::error("Failed with repeated key");
          }
          entries.emplace_back(std::move(k), std::move(v));
        }
        return Value::ofMap(std::move(entries));
      }
      case Expr::Kind::kComprehension:
        return comprehension(e);
    }
    return noOverload();
  }

 private:
  Value lookup(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    if (name == "self") return self_;
    if (name == "oldSelf") return old_self_;
    return Value::error("undeclared reference to '" + name + "'");
  }

  static Value select(const Value& v, const std::string& field, bool test) {
    if (v.isError()) return v;
    if (v.kind != K::kMap) return noOverload();
    const std::string key = v.object ? unescapeProperty(field) : field;
    const Value* found = v.find(Value::string(key));
    if (test) return Value::boolean(found != nullptr);
    if (!found) return Value::error("no such key: " + key);
    return *found;
  }

  static Value index(const Value& v, const Value& i) {
    if (v.isError()) return v;
    if (i.isError()) return i;
    if (v.kind == K::kList) {
      int64_t n = 0;
      if (i.kind == K::kInt) {
        n = i.i;
      } else if (i.kind == K::kUint) {
        n = i.u > uint64_t(std::numeric_limits<int64_t>::max()) ? -1 : int64_t(i.u);
      } else if (i.kind == K::kDouble && std::floor(i.d) == i.d) {
        n = static_cast<int64_t>(i.d);
      } else {
        return Value::error("unsupported index type '" + i.typeName() + "' in list");
      }
      if (n < 0 || n >= int64_t(v.list->size()))
        return Value::error("index out of bounds: " + std::to_string(n));
      return (*v.list)[size_t(n)];
    }
    if (v.kind == K::kMap) {
      if (const Value* found = v.find(i)) return *found;
      std::string key = i.kind == K::kString ? i.s
                        : i.kind == K::kInt  ? std::to_string(i.i)
                                             : i.typeName();
      return Value::error("no such key: " + key);
    }
    return noOverload();
  }

  static Value unary(const std::string& op, const Value& v) {
    if (v.isError()) return v;
    if (op == "!") return v.kind == K::kBool ? Value::boolean(!v.b) : noOverload();
    if (v.kind == K::kInt) {
      if (v.i == std::numeric_limits<int64_t>::min()) return overflow();
      return Value::integer(-v.i);
    }
    if (v.kind == K::kDouble) return Value::real(-v.d);
    if (v.kind == K::kDuration) return Value::duration(-v.i);
    return noOverload();
  }

  Value binary(const Expr& e) {
    const std::string& op = e.name;
    if (op == "&&" || op == "||") {
      const bool decisive = op == "||";  // the value that decides alone
      Value a = eval(*e.args[0]);
      if (a.kind == K::kBool && a.b == decisive) return a;
      Value b = eval(*e.args[1]);
      if (b.kind == K::kBool && b.b == decisive) return b;
      if (a.isError()) return a;
      if (b.isError()) return b;
      if (a.kind != K::kBool || b.kind != K::kBool) return noOverload();
      return Value::boolean(!decisive);
    }
    Value a = eval(*e.args[0]);
    if (a.isError()) return a;
    Value b = eval(*e.args[1]);
    if (b.isError()) return b;
    if (op == "==") return equals(a, b);
    if (op == "!=") {
      Value eq = equals(a, b);
      return eq.isError() ? eq : Value::boolean(!eq.b);
    }
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      Ordering o = compare(a, b);
      if (!o.error.empty()) return Value::error(o.error);
      if (op == "<") return Value::boolean(o.order < 0);
      if (op == "<=") return Value::boolean(o.order <= 0);
      if (op == ">") return Value::boolean(o.order > 0);
      return Value::boolean(o.order >= 0);
    }
    if (op == "in") return contains(b, a);
    return arithmetic(op, a, b);
  }

  static Value contains(const Value& container, const Value& x) {
    if (container.kind == K::kMap) return Value::boolean(container.find(x) != nullptr);
    if (container.kind != K::kList) return noOverload();
    Value first_error;
    for (const auto& item : *container.list) {
      Value eq = equals(item, x);
      if (eq.kind == K::kBool && eq.b) return eq;
      if (eq.isError() && !first_error.isError()) first_error = eq;
    }
    return first_error.isError() ? first_error : Value::boolean(false);
  }

  static Value arithmetic(const std::string& op, const Value& a, const Value& b) {
    if (a.kind != b.kind) return noOverload();
    switch (a.kind) {
      case K::kInt: {
        int64_t r = 0;
        if (op == "+" && !__builtin_add_overflow(a.i, b.i, &r)) return Value::integer(r);
        if (op == "-" && !__builtin_sub_overflow(a.i, b.i, &r)) return Value::integer(r);
        if (op == "*" && !__builtin_mul_overflow(a.i, b.i, &r)) return Value::integer(r);
        if (op == "/" || op == "%") {
          if (b.i == 0) return Value::error(op == "/" ? "division by zero" : "modulus by zero");
          if (a.i == std::numeric_limits<int64_t>::min() && b.i == -1) return overflow();
          return Value::integer(op == "/" ? a.i / b.i : a.i % b.i);
        }
        return overflow();
      }
      case K::kUint: {
        uint64_t r = 0;
        if (op == "+" && !__builtin_add_overflow(a.u, b.u, &r)) return Value::uinteger(r);
        if (op == "-" && !__builtin_sub_overflow(a.u, b.u, &r)) return Value::uinteger(r);
        if (op == "*" && !__builtin_mul_overflow(a.u, b.u, &r)) return Value::uinteger(r);
        if (op == "/" || op == "%") {
          if (b.u == 0) return Value::error(op == "/" ? "division by zero" : "modulus by zero");
          return Value::uinteger(op == "/" ? a.u / b.u : a.u % b.u);
        }
        return Value::error("unsigned integer overflow");
      }
      case K::kDouble:
        if (op == "+") return Value::real(a.d + b.d);
        if (op == "-") return Value::real(a.d - b.d);
        if (op == "*") return Value::real(a.d * b.d);
        if (op == "/") return Value::real(a.d / b.d);
        return noOverload();
      case K::kDuration: {
        int64_t r = 0;
        if (op == "+" && !__builtin_add_overflow(a.i, b.i, &r)) return Value::duration(r);
        if (op == "-" && !__builtin_sub_overflow(a.i, b.i, &r)) return Value::duration(r);
        return op == "+" || op == "-" ? overflow() : noOverload();
      }
      case K::kString:
        if (op == "+") return Value::string(a.s + b.s);
        return noOverload();
      case K::kList:
        if (op == "+") {
          ValueList items = *a.list;
          items.insert(items.end(), b.list->begin(), b.list->end());
          return Value::ofList(std::move(items));
        }
        return noOverload();
      default:
        return noOverload();
    }
  }

  Value comprehension(const Expr& e) {
    Value range = eval(*e.args[0]);
    if (range.isError()) return range;
    ValueList elements;
    if (range.kind == K::kList) {
      elements = *range.list;
    } else if (range.kind == K::kMap) {
      for (const auto& kv : *range.map)
        elements.push_back(kv.first);
    } else {
      return noOverload();
    }
    const std::string& macro = e.name;
    Value first_error;
    int64_t matches = 0;
    ValueList mapped;
    for (const Value& x : elements) {
      vars_.emplace_back(e.var, x);
      Value r = eval(*e.args[1]);
      Value transformed;
      if (macro == "map" && e.args.size() == 3 && r.kind == K::kBool && r.b)
        transformed = eval(*e.args[2]);
      vars_.pop_back();
      if (macro == "map" && e.args.size() == 2) {
        if (r.isError()) return r;
        mapped.push_back(std::move(r));
        continue;
      }
      if (r.isError()) {
        if (macro == "all" || macro == "exists") {
          if (!first_error.isError()) first_error = r;
          continue;
        }
        return r;
      }
      if (r.kind != K::kBool) return noOverload();
      if (macro == "all" && !r.b) return r;
      if (macro == "exists" && r.b) return r;
      if (macro == "exists_one" && r.b) ++matches;
      if (macro == "filter" && r.b) mapped.push_back(x);
      if (macro == "map" && r.b) {
        if (transformed.isError()) return transformed;
        mapped.push_back(std::move(transformed));
      }
    }
    if (macro == "all" || macro == "exists")
      return first_error.isError() ? first_error : Value::boolean(macro == "all");
    if (macro == "exists_one") return Value::boolean(matches == 1);
    return Value::ofList(std::move(mapped));
  }

  Value call(const Expr& e) {
    std::vector<Value> args;
    for (const auto& a : e.args) {
      args.push_back(eval(*a));
      if (args.back().isError()) return args.back();
    }
    const std::string& f = e.name;
    if (f == "size") return size(args[0]);
    if (f == "type") return Value::type(args[0].typeName());
    if (f == "dyn") return args[0];
    if (f == "int" || f == "uint" || f == "double" || f == "string" || f == "duration")
      return convert(f, args[0]);
    if (f == "isSorted") return isSorted(args[0]);
    if (args[0].kind != K::kString || args[1].kind != K::kString) return noOverload();
    const std::string& s = args[0].s;
    const std::string& t = args[1].s;
    if (f == "startsWith") return Value::boolean(s.rfind(t, 0) == 0);
    if (f == "endsWith")
      return Value::boolean(s.size() >= t.size() &&
                            s.compare(s.size() - t.size(), t.size(), t) == 0);
    if (f == "contains") return Value::boolean(s.find(t) != std::string::npos);
    if (f == "matches") {
      try {
        return Value::boolean(std::regex_search(s, std::regex(t, std::regex::ECMAScript)));
      } catch (const std::regex_error&) {
        return Value::error("invalid regular expression: " + t);
      }
    }
    return noOverload();
  }

  static Value size(const Value& v) {
    if (v.kind == K::kString) return Value::integer(int64_t(codePoints(v.s)));
    if (v.kind == K::kList) return Value::integer(int64_t(v.list->size()));
    if (v.kind == K::kMap) return Value::integer(int64_t(v.map->size()));
    return noOverload();
  }

  static Value isSorted(const Value& v) {
    if (v.kind != K::kList) return noOverload();
    for (size_t i = 1; i < v.list->size(); ++i) {
      Ordering o = compare((*v.list)[i - 1], (*v.list)[i]);
      if (!o.error.empty()) return Value::error(o.error);
      if (o.order > 0) return Value::boolean(false);
    }
    return Value::boolean(true);
  }

  static Value convert(const std::string& to, const Value& v) {
    const std::string target = to == "duration" ? "google.protobuf.Duration" : to;
    auto conversionError = [&] {
      return Value::error("type conversion error from '" + v.typeName() + "' to '" + target + "'");
    };
    if (v.typeName() == target) return v;
    if (to == "duration") {
      int64_t nanos = 0;
      if (v.kind != K::kString) return noOverload();
      return parseGoDuration(v.s, nanos) ? Value::duration(nanos) : conversionError();
    }
    if (to == "string") {
      switch (v.kind) {
        case K::kInt:
          return Value::string(std::to_string(v.i));
        case K::kUint:
          return Value::string(std::to_string(v.u));
        case K::kDouble:
          return Value::string(formatDouble(v.d));
        case K::kBool:
          return Value::string(v.b ? "true" : "false");
        case K::kDuration:
          return Value::string(formatDouble(double(v.i) / 1e9) + "s");
        default:
          return noOverload();
      }
    }
    if (to == "double") {
      if (v.kind == K::kInt) return Value::real(double(v.i));
      if (v.kind == K::kUint) return Value::real(double(v.u));
      if (v.kind != K::kString) return noOverload();
      char* end = nullptr;
      double d = std::strtod(v.s.c_str(), &end);
      return !v.s.empty() && *end == '\0' ? Value::real(d) : conversionError();
    }
    // int and uint
    const bool is_int = to == "int";
    if (v.kind == K::kString) {
      int64_t i = 0;
      uint64_t u = 0;
      const char* end = v.s.data() + v.s.size();
      auto r = is_int ? std::from_chars(v.s.data(), end, i) : std::from_chars(v.s.data(), end, u);
      if (r.ec != std::errc() || r.ptr != end) return conversionError();
      return is_int ? Value::integer(i) : Value::uinteger(u);
    }
    if (v.kind == K::kInt) {
      if (v.i < 0) return Value::error("unsigned integer overflow");
      return Value::uinteger(uint64_t(v.i));
    }
    if (v.kind == K::kUint) {
      if (v.u > uint64_t(std::numeric_limits<int64_t>::max())) return overflow();
      return Value::integer(int64_t(v.u));
    }
    if (v.kind == K::kDouble) {
      double t = std::trunc(v.d);
      if (is_int && !(t >= -9.223372036854775808e18 && t < 9.223372036854775808e18))
        return overflow();
      if (!is_int && !(t >= 0 && t < 1.8446744073709551616e19))
        return Value::error("unsigned integer overflow");
      return is_int ? Value::integer(int64_t(t)) : Value::uinteger(uint64_t(t));
    }
    return noOverload();
  }

  Value self_;
  Value old_self_;
  std::vector<std::pair<std::string, Value>> vars_;
};

}  // namespace

Evaluation evaluate(const Program& program, const nlohmann::json& self,
                    const nlohmann::json& schema, const nlohmann::json* old_self) {
  Evaluator ev(fromJson(self, schema), old_self ? fromJson(*old_self, schema) : Value::null());
  Value v = ev.eval(program.root());
  Evaluation out;
  switch (v.kind) {
    case K::kError:
      out.text = v.s;
      break;
    case K::kBool:
      out.kind = Evaluation::Kind::kBool;
      out.boolean = v.b;
      break;
    case K::kString:
      out.kind = Evaluation::Kind::kString;
      out.text = v.s;
      break;
    default:
      out.kind = Evaluation::Kind::kOther;
      out.text = v.typeName();
  }
  return out;
}

}  // namespace mr::apiserver::cel
