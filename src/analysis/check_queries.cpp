#include "analysis/check_queries.h"

#include <cmath>

#include "analysis/query_template.h"

namespace mr::analysis {

CheckQueries::CheckQueries(const AnalysisRequest& request, PrometheusApi& api, SystemTime now)
    : req_(request), api_(api), elapsed_(request.spec.window) {
  if (request.evidence_since) {
    const auto since = std::chrono::ceil<std::chrono::seconds>(now - *request.evidence_since);
    elapsed_ = std::max<std::chrono::milliseconds>(std::chrono::seconds(1), since);
  }
}

Result<std::string> CheckQueries::render(std::string_view text, const std::string& role) const {
  TemplateVars v{req_.namespace_name,
                 req_.rollout,
                 role,
                 role == "canary" ? req_.canary_revision : req_.stable_revision,
                 req_.stable_revision,
                 req_.canary_revision,
                 req_.spec.window,
                 elapsed_};
  auto r = renderQuery(text, v);
  if (!r) return r.status().withContext("configuration error");
  return r;
}

Result<QueryResult> CheckQueries::query(const std::string& promql) {
  if (!transport_failure_.isOk()) return transport_failure_;
  auto r = api_.query(promql);
  if (!r.isOk() && r.status().httpCode() == 0 && r.status().isRetryable()) {
    transport_failure_ = r.status();
  }
  return r;
}

Result<std::optional<double>> CheckQueries::number(const std::string& promql) {
  auto r = query(promql);
  if (!r) return r.status();
  return singleValue(*r);
}

Result<std::vector<CumulativeBucket>> CheckQueries::buckets(const std::string& promql) {
  auto r = query(promql);
  if (!r) return r.status();
  if (r->type != ResultType::kVector) {
    return invalidArgument(std::string("bucket query returned a ") + resultTypeName(r->type));
  }
  std::vector<CumulativeBucket> out;
  for (const auto& s : r->samples) {
    auto it = s.labels.find("le");
    if (it == s.labels.end()) return invalidArgument("bucket series without an le label");
    auto le = parseLe(it->second);
    if (!le) return le.status();
    if (!std::isnan(s.value)) out.push_back({*le, s.value});
  }
  return out;
}

Result<RoleValues> CheckQueries::byRole(const std::string& promql) {
  auto r = query(promql);
  if (!r) return r.status();
  if (r->type != ResultType::kVector) {
    return invalidArgument(std::string("query returned a ") + resultTypeName(r->type));
  }
  RoleValues out;
  for (const auto& s : r->samples) {
    auto it = s.labels.find("role");
    if (it == s.labels.end() || std::isnan(s.value)) continue;
    if (it->second == "canary") out.canary = s.value;
    if (it->second == "stable") out.stable = s.value;
  }
  return out;
}

}  // namespace mr::analysis
