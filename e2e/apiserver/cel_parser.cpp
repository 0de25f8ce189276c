// compile(): the lexer and recursive-descent parser of the CEL subset (grammar of the CEL
// spec, langdef.md, restricted to cel_subset.h). Macros are expanded here into kHas and
// kComprehension nodes, and every identifier is resolved, so evaluation never meets an
// undeclared name.
#include <cctype>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "cel_subset.h"
#include "cel_value.h"

namespace mr::apiserver::cel {
namespace {

struct Token {
  enum class Kind { kEnd, kIdent, kInt, kUint, kDouble, kString, kOp };
  Kind kind = Kind::kEnd;
  std::string text;  // identifier, operator, or decoded string
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  size_t pos = 0;
};

class Failure {
 public:
  Failure(size_t pos, std::string message) : pos_(pos), message_(std::move(message)) {}
  std::string text() const { return "column " + std::to_string(pos_ + 1) + ": " + message_; }

 private:
  size_t pos_;
  std::string message_;
};

class Lexer {
 public:
  explicit Lexer(const std::string& src) : src_(src) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    while (true) {
      skipSpace();
      Token t;
      t.pos = p_;
      if (p_ >= src_.size()) {
        out.push_back(t);
        return out;
      }
      char c = src_[p_];
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t start = p_;
        while (p_ < src_.size() &&
               (std::isalnum(static_cast<unsigned char>(src_[p_])) || src_[p_] == '_'))
          ++p_;
        t.text = src_.substr(start, p_ - start);
        if ((t.text == "b" || t.text == "B") && p_ < src_.size() && isQuote(src_[p_]))
          throw Failure(start, "bytes literals are not supported");
        if ((t.text == "r" || t.text == "R") && p_ < src_.size() && isQuote(src_[p_])) {
          t.kind = Token::Kind::kString;
          t.text = readString(true);
        } else {
          t.kind = Token::Kind::kIdent;
        }
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '.' && p_ + 1 < src_.size() &&
                  std::isdigit(static_cast<unsigned char>(src_[p_ + 1])))) {
        readNumber(t);
      } else if (isQuote(c)) {
        t.kind = Token::Kind::kString;
        t.text = readString(false);
      } else {
        readOperator(t);
      }
      out.push_back(t);
    }
  }

 private:
  static bool isQuote(char c) { return c == '\'' || c == '"'; }

  void skipSpace() {
    while (p_ < src_.size()) {
      if (std::isspace(static_cast<unsigned char>(src_[p_]))) {
        ++p_;
      } else if (src_.compare(p_, 2, "//") == 0) {
        while (p_ < src_.size() && src_[p_] != '\n')
          ++p_;
      } else {
        return;
      }
    }
  }

  void readNumber(Token& t) {
    size_t start = p_;
    if (src_.compare(p_, 2, "0x") == 0 || src_.compare(p_, 2, "0X") == 0) {
      p_ += 2;
      while (p_ < src_.size() && std::isxdigit(static_cast<unsigned char>(src_[p_])))
        ++p_;
      finishInteger(t, start, std::stoull(src_.substr(start + 2, p_ - start - 2), nullptr, 16));
      return;
    }
    bool real = false;
    while (p_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[p_])))
      ++p_;
    if (p_ + 1 < src_.size() && src_[p_] == '.' &&
        std::isdigit(static_cast<unsigned char>(src_[p_ + 1]))) {
      real = true;
      ++p_;
      while (p_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[p_])))
        ++p_;
    }
    if (p_ < src_.size() && (src_[p_] == 'e' || src_[p_] == 'E')) {
      real = true;
      ++p_;
      if (p_ < src_.size() && (src_[p_] == '+' || src_[p_] == '-')) ++p_;
      while (p_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[p_])))
        ++p_;
    }
    std::string text = src_.substr(start, p_ - start);
    if (real) {
      t.kind = Token::Kind::kDouble;
      t.d = std::stod(text);
      return;
    }
    try {
      finishInteger(t, start, std::stoull(text));
    } catch (const std::out_of_range&) {
      throw Failure(start, "integer literal out of range");
    }
  }

  void finishInteger(Token& t, size_t start, uint64_t v) {
    if (p_ < src_.size() && (src_[p_] == 'u' || src_[p_] == 'U')) {
      ++p_;
      t.kind = Token::Kind::kUint;
      t.u = v;
      return;
    }
    // 9223372036854775808 is only valid negated; the parser folds the minus sign.
    if (v > (uint64_t(1) << 63)) throw Failure(start, "integer literal out of range");
    t.kind = Token::Kind::kInt;
    t.u = v;
  }

  std::string readString(bool raw) {
    char quote = src_[p_];
    size_t start = p_;
    if (src_.compare(p_, 3, std::string(3, quote)) == 0)
      throw Failure(start, "triple-quoted strings are not supported");
    ++p_;
    std::string out;
    while (true) {
      if (p_ >= src_.size() || src_[p_] == '\n') throw Failure(start, "unterminated string");
      char c = src_[p_++];
      if (c == quote) return out;
      if (c != '\\' || raw) {
        out += c;
        continue;
      }
      if (p_ >= src_.size()) throw Failure(start, "unterminated string");
      char e = src_[p_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case '`':
          out += '`';
          break;
        case '?':
          out += '?';
          break;
        default:
          throw Failure(p_ - 2, std::string("unsupported escape \\") + e);
      }
    }
  }

  void readOperator(Token& t) {
    static const char* kOps[] = {"==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*",
                                 "/",  "%",  "?",  ":",  ".",  ",",  "(", ")", "[", "]", "{", "}"};
    if (src_.compare(p_, 2, "?.") == 0 || src_.compare(p_, 2, "[?") == 0)
      throw Failure(p_, "optional syntax (?. and [?) is not supported");
    for (const char* op : kOps) {
      std::string s(op);
      if (src_.compare(p_, s.size(), s) == 0) {
        t.kind = Token::Kind::kOp;
        t.text = s;
        p_ += s.size();
        return;
      }
    }
    throw Failure(p_, std::string("unexpected character '") + src_[p_] + "'");
  }

  const std::string& src_;
  size_t p_ = 0;
};

std::shared_ptr<Expr> node(Expr::Kind kind, std::string name = {}) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  e->name = std::move(name);
  return e;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, bool allow_old_self)
      : t_(std::move(tokens)), allow_old_self_(allow_old_self) {}

  ExprPtr parse() {
    ExprPtr e = expr();
    if (peek().kind != Token::Kind::kEnd) fail("unexpected '" + peek().text + "'");
    return e;
  }
  bool usesOldSelf() const { return uses_old_self_; }

 private:
  const Token& peek() const { return t_[i_]; }
  bool isOp(const char* op) const { return peek().kind == Token::Kind::kOp && peek().text == op; }
  bool isKeyword(const char* word) const {
    return peek().kind == Token::Kind::kIdent && peek().text == word;
  }
  bool accept(const char* op) {
    if (!isOp(op)) return false;
    ++i_;
    return true;
  }
  void expect(const char* op) {
    if (!accept(op)) fail(std::string("expected '") + op + "'");
  }
  [[noreturn]] void fail(const std::string& message) const { throw Failure(peek().pos, message); }

  ExprPtr binary(const std::string& op, ExprPtr a, ExprPtr b) {
    auto e = node(Expr::Kind::kBinary, op);
    e->args = {std::move(a), std::move(b)};
    return e;
  }

  ExprPtr expr() {
    ExprPtr cond = orExpr();
    if (!accept("?")) return cond;
    ExprPtr a = orExpr();
    expect(":");
    ExprPtr b = expr();
    auto e = node(Expr::Kind::kTernary);
    e->args = {cond, a, b};
    return e;
  }
  ExprPtr orExpr() {
    ExprPtr e = andExpr();
    while (accept("||"))
      e = binary("||", e, andExpr());
    return e;
  }
  ExprPtr andExpr() {
    ExprPtr e = relation();
    while (accept("&&"))
      e = binary("&&", e, relation());
    return e;
  }
  ExprPtr relation() {
    ExprPtr e = addition();
    while (true) {
      std::string op;
      for (const char* o : {"==", "!=", "<=", ">=", "<", ">"}) {
        if (isOp(o)) op = o;
      }
      if (op.empty() && isKeyword("in")) op = "in";
      if (op.empty()) return e;
      ++i_;
      e = binary(op, e, addition());
    }
  }
  ExprPtr addition() {
    ExprPtr e = multiplication();
    while (isOp("+") || isOp("-")) {
      std::string op = t_[i_++].text;
      e = binary(op, e, multiplication());
    }
    return e;
  }
  ExprPtr multiplication() {
    ExprPtr e = unary();
    while (isOp("*") || isOp("/") || isOp("%")) {
      std::string op = t_[i_++].text;
      e = binary(op, e, unary());
    }
    return e;
  }
  ExprPtr unary() {
    if (accept("!")) {
      auto e = node(Expr::Kind::kUnary, "!");
      e->args = {unary()};
      return e;
    }
    if (accept("-")) {
      if (peek().kind == Token::Kind::kInt || peek().kind == Token::Kind::kDouble) {
        Token lit = t_[i_];
        if (!(i_ + 1 < t_.size() && (t_[i_ + 1].text == "." || t_[i_ + 1].text == "["))) {
          ++i_;
          auto e = node(Expr::Kind::kLiteral);
          e->value = lit.kind == Token::Kind::kDouble ? Value::real(-lit.d)
                                                      : Value::integer(int64_t(0 - lit.u));
          return member(e);
        }
      }
      auto e = node(Expr::Kind::kUnary, "-");
      e->args = {unary()};
      return e;
    }
    return member(primary());
  }

  std::vector<ExprPtr> arguments(const char* close) {
    std::vector<ExprPtr> args;
    if (accept(close)) return args;
    do {
      args.push_back(expr());
    } while (accept(","));
    expect(close);
    return args;
  }

  ExprPtr member(ExprPtr e) {
    while (true) {
      if (accept(".")) {
        if (peek().kind != Token::Kind::kIdent) fail("expected a field name after '.'");
        Token name = t_[i_++];
        if (isOp("(")) {
          e = memberCall(e, name);
        } else {
          auto s = node(Expr::Kind::kSelect, name.text);
          s->args = {e};
          e = s;
        }
      } else if (accept("[")) {
        auto ix = node(Expr::Kind::kIndex);
        ix->args = {e, expr()};
        expect("]");
        e = ix;
      } else {
        return e;
      }
    }
  }

  ExprPtr memberCall(const ExprPtr& target, const Token& name) {
    static const std::set<std::string> kMacros{"all", "exists", "exists_one", "map", "filter"};
    size_t open = peek().pos;
    expect("(");
    if (kMacros.count(name.text)) return comprehension(target, name);
    std::vector<ExprPtr> args = arguments(")");
    static const std::map<std::string, size_t> kArity{{"size", 0},       {"isSorted", 0},
                                                      {"startsWith", 1}, {"endsWith", 1},
                                                      {"contains", 1},   {"matches", 1}};
    auto it = kArity.find(name.text);
    if (it == kArity.end()) throw Failure(name.pos, "unsupported function '" + name.text + "'");
    if (args.size() != it->second)
      throw Failure(open, "wrong number of arguments to '" + name.text + "'");
    auto call = node(Expr::Kind::kCall, name.text);
    call->target = true;
    call->args.push_back(target);
    for (auto& a : args)
      call->args.push_back(std::move(a));
    return call;
  }

  ExprPtr comprehension(const ExprPtr& range, const Token& name) {
    if (peek().kind != Token::Kind::kIdent) fail("argument must be a simple name");
    std::string var = t_[i_++].text;
    expect(",");
    scope_.push_back(var);
    std::vector<ExprPtr> rest;
    rest.push_back(expr());
    if (name.text == "map" && accept(",")) rest.push_back(expr());
    scope_.pop_back();
    expect(")");
    auto e = node(Expr::Kind::kComprehension, name.text);
    e->var = var;
    e->args.push_back(range);
    for (auto& r : rest)
      e->args.push_back(std::move(r));
    return e;
  }

  ExprPtr globalCall(const Token& name) {
    size_t open = peek().pos;
    expect("(");
    std::vector<ExprPtr> args = arguments(")");
    if (name.text == "has") {
      if (args.size() != 1 || args[0]->kind != Expr::Kind::kSelect)
        throw Failure(open, "invalid argument to has() macro");
      auto e = node(Expr::Kind::kHas, args[0]->name);
      e->args = {args[0]->args[0]};
      return e;
    }
    static const std::map<std::string, size_t> kArity{
        {"size", 1},   {"type", 1},   {"dyn", 1},      {"int", 1},    {"uint", 1},
        {"double", 1}, {"string", 1}, {"duration", 1}, {"matches", 2}};
    auto it = kArity.find(name.text);
    if (it == kArity.end()) throw Failure(name.pos, "unsupported function '" + name.text + "'");
    if (args.size() != it->second)
      throw Failure(open, "wrong number of arguments to '" + name.text + "'");
    auto call = node(Expr::Kind::kCall, name.text);
    call->args = std::move(args);
    return call;
  }

  ExprPtr identifier(const Token& name) {
    static const std::set<std::string> kTypes{"int",  "uint", "double",    "bool", "string",
                                              "list", "map",  "null_type", "type"};
    for (auto it = scope_.rbegin(); it != scope_.rend(); ++it) {
      if (*it == name.text) return node(Expr::Kind::kIdent, name.text);
    }
    auto lit = node(Expr::Kind::kLiteral);
    if (name.text == "true" || name.text == "false") {
      lit->value = Value::boolean(name.text == "true");
      return lit;
    }
    if (name.text == "null") return lit;
    if (kTypes.count(name.text)) {
      lit->value = Value::type(name.text);
      return lit;
    }
    if (name.text == "self") return node(Expr::Kind::kIdent, name.text);
    if (name.text == "oldSelf" && allow_old_self_) {
      uses_old_self_ = true;
      return node(Expr::Kind::kIdent, name.text);
    }
    throw Failure(name.pos, "undeclared reference to '" + name.text + "'");
  }

  ExprPtr primary() {
    const Token tok = peek();
    switch (tok.kind) {
      case Token::Kind::kIdent: {
        ++i_;
        if (tok.text == "in") fail("unexpected 'in'");
        if (isOp("(")) return globalCall(tok);
        return identifier(tok);
      }
      case Token::Kind::kInt: {
        ++i_;
        if (tok.u > uint64_t(std::numeric_limits<int64_t>::max()))
          throw Failure(tok.pos, "integer literal out of range");
        auto e = node(Expr::Kind::kLiteral);
        e->value = Value::integer(static_cast<int64_t>(tok.u));
        return e;
      }
      case Token::Kind::kUint:
      case Token::Kind::kDouble:
      case Token::Kind::kString: {
        ++i_;
        auto e = node(Expr::Kind::kLiteral);
        e->value = tok.kind == Token::Kind::kUint     ? Value::uinteger(tok.u)
                   : tok.kind == Token::Kind::kDouble ? Value::real(tok.d)
                                                      : Value::string(tok.text);
        return e;
      }
      case Token::Kind::kOp:
        break;
      case Token::Kind::kEnd:
        fail("unexpected end of expression");
    }
    if (accept("(")) {
      ExprPtr e = expr();
      expect(")");
      return e;
    }
    if (accept("[")) {
      auto e = node(Expr::Kind::kList);
      e->args = arguments("]");
      return e;
    }
    if (accept("{")) {
      auto e = node(Expr::Kind::kMap);
      if (!accept("}")) {
        do {
          e->args.push_back(expr());
          expect(":");
          e->args.push_back(expr());
        } while (accept(","));
        expect("}");
      }
      return e;
    }
    if (isOp(".")) fail("qualified names (leading '.') are not supported");
    fail("unexpected '" + tok.text + "'");
  }

  std::vector<Token> t_;
  size_t i_ = 0;
  bool allow_old_self_;
  bool uses_old_self_ = false;
  std::vector<std::string> scope_;
};

}  // namespace

Result<ProgramPtr> compile(const std::string& source, bool allow_old_self) {
  try {
    Parser parser(Lexer(source).run(), allow_old_self);
    ExprPtr root = parser.parse();
    return std::make_shared<const Program>(root, parser.usesOldSelf());
  } catch (const Failure& f) {
    return invalidArgument(f.text());
  } catch (const std::exception& e) {  // std::stoull/stod on malformed literals
    return invalidArgument(std::string("malformed literal: ") + e.what());
  }
}

}  // namespace mr::apiserver::cel
