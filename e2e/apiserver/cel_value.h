// Values and the syntax tree of the CEL subset (cel_subset.h), shared by its parser
// (cel_parser.cpp) and evaluator (cel_eval.cpp). A Value is an immutable CEL value; an
// evaluation error is a Value of kind kError, so && and || can absorb it as CEL does.
// Thread-safety: immutable value types; lists and maps share their elements.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace mr::apiserver::cel {

struct Value;
using ValueList = std::vector<Value>;
using ValueMap = std::vector<std::pair<Value, Value>>;  // insertion order, unique keys

struct Value {
  enum class Kind {
    kError,
    kNull,
    kBool,
    kInt,
    kUint,
    kDouble,
    kString,
    kDuration,
    kList,
    kMap,
    kType
  };
  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;   // kInt; kDuration in nanoseconds
  uint64_t u = 0;  // kUint
  double d = 0;    // kDouble
  std::string s;   // kString; kError message; kType name
  std::shared_ptr<const ValueList> list;
  std::shared_ptr<const ValueMap> map;
  bool object = false;  // kMap from a schema object with properties (fields, not keys)

  static Value error(std::string message);
  static Value null() { return {}; }
  static Value boolean(bool v);
  static Value integer(int64_t v);
  static Value uinteger(uint64_t v);
  static Value real(double v);
  static Value string(std::string v);
  static Value duration(int64_t nanos);
  static Value type(std::string name);
  static Value ofList(ValueList items);
  static Value ofMap(ValueMap entries, bool object = false);

  bool isError() const { return kind == Kind::kError; }
  bool isNumber() const {
    return kind == Kind::kInt || kind == Kind::kUint || kind == Kind::kDouble;
  }
  // CEL's type name: "int", "string", "map", "google.protobuf.Duration", ...
  std::string typeName() const;
  // The entry of a map with key `key`, or null (also for a null field of an object).
  const Value* find(const Value& key) const;
};

// The CEL value of a JSON document, typed by its schema node (see cel_subset.h).
Value fromJson(const nlohmann::json& v, const nlohmann::json& schema);

// CEL equality (numbers across kinds; different kinds are unequal). Errors propagate.
Value equals(const Value& a, const Value& b);
// <0, 0, >0; or an error when the kinds are not comparable ("no such overload").
struct Ordering {
  int order = 0;
  std::string error;
};
Ordering compare(const Value& a, const Value& b);

// Go's time.ParseDuration; false when `text` is not a duration.
bool parseGoDuration(const std::string& text, int64_t& nanos);

// The syntax tree. Operands live in `args`.
struct Expr {
  enum class Kind {
    kLiteral,        // value
    kIdent,          // name
    kSelect,         // args[0].name
    kHas,            // has(args[0].name)
    kIndex,          // args[0][args[1]]
    kCall,           // name(args...) or, with target, args[0].name(args[1..])
    kUnary,          // name ("!" or "-") args[0]
    kBinary,         // args[0] name args[1]; name is the operator ("&&", "==", "in", "+", ...)
    kTernary,        // args[0] ? args[1] : args[2]
    kList,           // [args...]
    kMap,            // {args[0]: args[1], args[2]: args[3], ...}
    kComprehension,  // args[0].name(var, args[1] [, args[2]]) for all/exists/exists_one/map/filter
  };
  Kind kind = Kind::kLiteral;
  std::string name;
  std::string var;      // kComprehension's iteration variable
  bool target = false;  // kCall: args[0] is the receiver
  Value value;
  std::vector<std::shared_ptr<const Expr>> args;
};
using ExprPtr = std::shared_ptr<const Expr>;

}  // namespace mr::apiserver::cel
