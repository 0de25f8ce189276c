// FakePrometheusApi: answers PromQL by substring rules (first match wins; a needle starting with
// '!' must be absent), records every query, and answers unmatched queries with an empty vector.
// Builders make the QueryResults the checks expect.
#pragma once

#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "analysis/prometheus_api.h"

namespace mr::analysis::testing {

class FakePrometheusApi : public PrometheusApi {
 public:
  void on(std::vector<std::string> needles, Result<QueryResult> response) {
    rules_.push_back({std::move(needles), std::move(response)});
  }
  Result<QueryResult> query(const std::string& promql) override {
    std::lock_guard<std::mutex> lock(mu_);
    queries_.push_back(promql);
    for (const auto& rule : rules_) {
      bool match = true;
      for (const auto& n : rule.needles) {
        const bool negated = !n.empty() && n[0] == '!';
        const bool found = promql.find(negated ? n.substr(1) : n) != std::string::npos;
        if (found == negated) match = false;
      }
      if (match) return rule.response;
    }
    return QueryResult{};
  }
  std::vector<std::string> queries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queries_;
  }

 private:
  struct Rule {
    std::vector<std::string> needles;
    Result<QueryResult> response;
  };
  std::vector<Rule> rules_;
  mutable std::mutex mu_;
  std::vector<std::string> queries_;
};

inline QueryResult number(double v) {
  QueryResult r;
  r.samples.push_back({{}, v});
  return r;
}
inline QueryResult empty() {
  return QueryResult{};
}
inline QueryResult byLabel(const std::string& label,
                           const std::vector<std::pair<std::string, double>>& values) {
  QueryResult r;
  for (const auto& [k, v] : values)
    r.samples.push_back({{{label, k}}, v});
  return r;
}
// Cumulative prediction buckets from per-bin counts over le 0.1..1.0,+Inf (11 bins).
inline QueryResult predictionBuckets(const std::vector<double>& per_bin) {
  static const char* les[] = {"0.1", "0.2", "0.3", "0.4", "0.5", "0.6",
                              "0.7", "0.8", "0.9", "1",   "+Inf"};
  std::vector<std::pair<std::string, double>> values;
  double c = 0;
  for (size_t i = 0; i < 11; ++i) {
    c += i < per_bin.size() ? per_bin[i] : 0;
    values.push_back({les[i], c});
  }
  return byLabel("le", values);
}
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace mr::analysis::testing
