#include "bench/analysis_sim/simulated_prometheus.h"

#include <array>
#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

namespace mr::analysis_sim {

namespace {

using analysis::QueryResult;
using analysis::ResultType;
using analysis::Sample;

constexpr std::array<const char*, kLatencyBuckets> kLatencyLe = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"};
constexpr std::array<const char*, kPredictionBins + 1> kPredictionLe = {
    "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1", "+Inf"};

enum class Metric { kRequests, kLatency, kPrediction, kAbsCount, kAbsSum, kAbsSquares };
enum class Aggregation { kSum, kByLe, kByRole };

struct Matcher {
  std::string name;
  bool regex = false;
  std::string value;
  // = value, or =~ alternatives a|b|c (the only regexes the default queries use besides 5..).
  bool matches(const std::string& v) const {
    if (!regex) return v == value;
    std::string_view rest = value;
    while (true) {
      const auto bar = rest.find('|');
      if (rest.substr(0, bar) == v) return true;
      if (bar == std::string_view::npos) return false;
      rest.remove_prefix(bar + 1);
    }
  }
};

struct ParsedQuery {
  Metric metric;
  Aggregation aggregation;
  std::vector<Matcher> matchers;
  Millis range{0};
  bool errors_only = false;  // code=~"5.."
  bool or_zero = false;      // or vector(0)
};

std::optional<Metric> metricFromName(std::string_view name) {
  if (name == "model_requests_total") return Metric::kRequests;
  if (name == "model_request_duration_seconds_bucket") return Metric::kLatency;
  if (name == "model_prediction_bucket") return Metric::kPrediction;
  if (name == "model_absolute_error_count") return Metric::kAbsCount;
  if (name == "model_absolute_error_sum") return Metric::kAbsSum;
  if (name == "model_absolute_error_squared_sum") return Metric::kAbsSquares;
  return std::nullopt;
}

std::optional<Millis> parseRange(std::string_view r) {
  long long v = 0;
  auto [p, ec] = std::from_chars(r.data(), r.data() + r.size(), v);
  if (ec != std::errc()) return std::nullopt;
  const std::string_view unit(p, r.data() + r.size() - p);
  if (unit == "s") return Millis(v * 1000);
  if (unit == "ms") return Millis(v);
  if (unit == "m") return Millis(v * 60000);
  return std::nullopt;
}

// Parses "name=\"v\",name=~\"a|b\"" (no escaped quotes: the simulation's names have none).
std::optional<std::vector<Matcher>> parseMatchers(std::string_view s) {
  std::vector<Matcher> out;
  while (!s.empty()) {
    const auto op = s.find_first_of("=!");
    if (op == std::string_view::npos) return std::nullopt;
    Matcher m;
    m.name = std::string(s.substr(0, op));
    if (s.substr(op, 2) == "=~") {
      m.regex = true;
      s.remove_prefix(op + 2);
    } else if (s[op] == '=') {
      s.remove_prefix(op + 1);
    } else {
      return std::nullopt;  // != and !~ are not used by the default queries
    }
    if (s.empty() || s.front() != '"') return std::nullopt;
    const auto close = s.find('"', 1);
    if (close == std::string_view::npos) return std::nullopt;
    m.value = std::string(s.substr(1, close - 1));
    out.push_back(std::move(m));
    s.remove_prefix(close + 1);
    if (!s.empty() && s.front() == ',') s.remove_prefix(1);
  }
  return out;
}

std::optional<ParsedQuery> parse(std::string_view q) {
  ParsedQuery p;
  if (q.starts_with("sum by (le) (")) {
    p.aggregation = Aggregation::kByLe;
  } else if (q.starts_with("sum by (role) (")) {
    p.aggregation = Aggregation::kByRole;
  } else if (q.starts_with("sum(")) {
    p.aggregation = Aggregation::kSum;
  } else {
    return std::nullopt;
  }
  const auto inc = q.find("increase(");
  const auto open = q.find('{');
  const auto close = q.find("}[");
  if (inc == std::string_view::npos || open == std::string_view::npos ||
      close == std::string_view::npos || open < inc || close < open) {
    return std::nullopt;
  }
  const auto name_start = inc + 9;
  auto metric = metricFromName(q.substr(name_start, open - name_start));
  if (!metric) return std::nullopt;
  p.metric = *metric;
  auto matchers = parseMatchers(q.substr(open + 1, close - open - 1));
  if (!matchers) return std::nullopt;
  p.matchers = std::move(*matchers);
  const auto range_end = q.find(']', close);
  if (range_end == std::string_view::npos) return std::nullopt;
  auto range = parseRange(q.substr(close + 2, range_end - close - 2));
  if (!range) return std::nullopt;
  p.range = *range;
  for (const auto& m : p.matchers) {
    if (m.name == "code") {
      if (!(m.regex && m.value == "5..")) return std::nullopt;
      p.errors_only = true;
    }
  }
  if (p.errors_only && p.metric != Metric::kRequests) return std::nullopt;
  p.or_zero = q.ends_with(" or vector(0)");
  return p;
}

bool selects(const ParsedQuery& p, const DataPlane& plane, Role role) {
  const std::string role_name = role == Role::kCanary ? "canary" : "stable";
  for (const auto& m : p.matchers) {
    if (m.name == "role" && !m.matches(role_name)) return false;
    if (m.name == "revision" && !m.matches(plane.revision(role))) return false;
  }
  return true;
}

double scalarOf(Metric metric, bool errors_only, const RoleCounters& c) {
  switch (metric) {
    case Metric::kRequests:
      return errors_only ? c.errors : c.requests;
    case Metric::kAbsCount:
      return c.abs_count;
    case Metric::kAbsSum:
      return c.abs_sum;
    case Metric::kAbsSquares:
      return c.abs_sum_sq;
    default:
      return 0;
  }
}

// Whether a role's series of this metric exist at all (they appear with the first event).
bool seriesExist(const ParsedQuery& p, const RoleCounters& total) {
  switch (p.metric) {
    case Metric::kRequests:
      return p.errors_only ? total.errors > 0 : total.requests > 0;
    case Metric::kAbsCount:
    case Metric::kAbsSum:
    case Metric::kAbsSquares:
      return total.abs_count > 0;
    default:
      return total.requests > 0;
  }
}

}  // namespace

Result<QueryResult> SimulatedPrometheus::query(const std::string& promql) {
  ++queries_;
  if (failure_rate_ > 0 && rng_.uniform() < failure_rate_) {
    ++failures_;
    return unavailable("simulated outage: Prometheus unreachable");
  }
  auto p = parse(promql);
  if (!p) {
    ++unrecognised_;
    return invalidArgument("the simulated Prometheus does not know this query: " + promql);
  }
  const SystemTime now = clock_.now();
  QueryResult out;
  out.type = ResultType::kVector;
  bool any = false;
  double sum = 0;
  std::array<double, kLatencyBuckets> latency{};
  std::array<double, kPredictionBins> prediction{};
  for (Role role : {Role::kStable, Role::kCanary}) {
    if (!selects(*p, plane_, role)) continue;
    RoleCounters c;
    if (!plane_.increase(role, now, p->range, c) || !seriesExist(*p, plane_.total(role))) continue;
    any = true;
    const double v = scalarOf(p->metric, p->errors_only, c);
    sum += v;
    for (std::size_t i = 0; i < latency.size(); ++i)
      latency[i] += c.latency[i];
    for (std::size_t i = 0; i < prediction.size(); ++i)
      prediction[i] += c.prediction[i];
    if (p->aggregation == Aggregation::kByRole) {
      out.samples.push_back(Sample{{{"role", role == Role::kCanary ? "canary" : "stable"}}, v});
    }
  }
  if (p->aggregation == Aggregation::kByRole) return out;
  if (p->aggregation == Aggregation::kSum) {
    if (any) {
      out.samples.push_back(Sample{{}, sum});
    } else if (p->or_zero) {
      out.samples.push_back(Sample{{}, 0});
    }
    return out;
  }
  if (!any) return out;
  double cumulative = 0;
  if (p->metric == Metric::kLatency) {
    for (std::size_t i = 0; i < latency.size(); ++i) {
      cumulative += latency[i];
      out.samples.push_back(Sample{{{"le", kLatencyLe[i]}}, cumulative});
    }
  } else if (p->metric == Metric::kPrediction) {
    for (std::size_t i = 0; i < prediction.size(); ++i) {
      cumulative += prediction[i];
      out.samples.push_back(Sample{{{"le", kPredictionLe[i]}}, cumulative});
    }
    out.samples.push_back(Sample{{{"le", kPredictionLe[kPredictionBins]}}, cumulative});
  } else {
    return invalidArgument("sum by (le) of a metric without buckets: " + promql);
  }
  return out;
}

}  // namespace mr::analysis_sim
