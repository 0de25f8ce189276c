// A small CEL (Common Expression Language) parser and evaluator for the x-kubernetes-validations
// rules of CRDs, so the test API server rejects what kube-apiserver's CEL rejects. It is a
// subset, not cel-go: expressions are parsed and their identifiers resolved, but not
// type-checked, and there is no cost estimate or budget.
//
// Supported subset (anything else fails compile() with a message naming it):
// - Literals: int (decimal, 0x hex), uint (`1u`), double, string ('..' or ".." with \\ \' \" \n
//   \t \r escapes), true, false, null; list literals [a, b]; map literals {k: v}.
// - Identifiers: `self`, `oldSelf` (only where the caller allows it), the type names int, uint,
//   double, bool, string, list, map, null_type, type, and macro variables.
// - Operators: ! and unary -, * / %, + - (int, uint, double, string and list concatenation,
//   duration), == != < <= > >= (numbers compare across int/uint/double), `in` (list element,
//   map key), && and || (commutative, errors absorbed as in CEL), ternary ?:, member access
//   `a.b` (objects and maps; unknown key is the error "no such key: b"), indexing `a[i]`,
//   `m[k]`.
// - Macros: has(a.b), l.all(x, p), l.exists(x, p), l.exists_one(x, p), l.map(x, t),
//   l.map(x, p, t), l.filter(x, p) over lists and map keys.
// - Functions: size(x) and x.size() (string code points, list, map), type(x), dyn(x), int(x),
//   uint(x), double(x), string(x), duration(string) (Go syntax, e.g. '1h30m'), l.isSorted()
//   (Kubernetes list library), s.startsWith(t), s.endsWith(t), s.contains(t), s.matches(re)
//   (ECMAScript regex approximating RE2).
// Values of `self` are typed by the schema as Kubernetes does: integer -> int, number -> double
// (also for a JSON integer), string, boolean -> bool, array -> list, object -> map (a null field
// of an object with properties counts as absent), x-kubernetes-int-or-string -> int or string.
// Not supported: optionals (`?.`, `[?`), bytes, timestamps, `format` typing (date-time and
// duration strings stay strings), order-insensitive equality of list-type map/set lists,
// string/list extension libraries beyond the above, quantity,
// IP/CIDR, url, authorizer. Error texts follow cel-go ("no such key: x", "no such overload",
// "division by zero", "index out of bounds: 3").
// Thread-safety: a Program is immutable once compiled and may be evaluated from any thread.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace mr::apiserver::cel {

struct Expr;

// A compiled expression.
class Program {
 public:
  explicit Program(std::shared_ptr<const Expr> root, bool uses_old_self)
      : root_(std::move(root)), uses_old_self_(uses_old_self) {}
  const Expr& root() const { return *root_; }
  bool usesOldSelf() const { return uses_old_self_; }

 private:
  std::shared_ptr<const Expr> root_;
  bool uses_old_self_;
};
using ProgramPtr = std::shared_ptr<const Program>;

// Parses `source`. The error message says what is malformed or outside the subset, with the
// 1-based column (e.g. "1:7: unsupported function 'quantity'").
Result<ProgramPtr> compile(const std::string& source, bool allow_old_self = true);

// What an evaluation produced.
struct Evaluation {
  enum class Kind { kError, kBool, kString, kOther };
  Kind kind = Kind::kError;
  bool boolean = false;
  std::string text;  // kError: the error (cel-go wording); kString: the string; kOther: type
};

// Evaluates `program` with `self` bound to the JSON value typed by `schema` (its schema node),
// and `oldSelf` to `old_self` (may be null when the program does not use it).
Evaluation evaluate(const Program& program, const nlohmann::json& self,
                    const nlohmann::json& schema, const nlohmann::json* old_self = nullptr);

}  // namespace mr::apiserver::cel
