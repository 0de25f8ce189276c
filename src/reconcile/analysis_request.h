// Building an analysis::AnalysisRequest for a StartAnalysis action: copies the analysis spec
// and resolves the Prometheus bearer token and CA from Secrets in the rollout's namespace
// (read through the API, never cached: Secrets are not watched, to keep RBAC and memory small).
// The platform's rules (analysis/prometheus_policy.h, docs/security.md) are applied before any
// Secret is read: the address must be on the allow-list, a token needs https, and a Secret is
// used only when its modelrollout.io/prometheus-address annotation names this address. No
// message contains a Secret's data.
// A missing Secret or key, or a Secret that does not opt in, is a configuration error the
// caller turns into an Error verdict; addressErrors() lets the reconciler report what needs no
// Secret read as InvalidSpec before any check is due.
// Thread-safety: stateless; safe from many threads.
#pragma once

#include <vector>

#include "analysis/analyzer.h"
#include "analysis/prometheus_policy.h"
#include "k8s/api_client.h"
#include "rollout/modelrollout_parse.h"
#include "rollout/planner.h"

namespace mr::reconcile {

// Field errors of spec.analysis.prometheus under `policy` (address not allowed or malformed,
// user info, a token over plain http). Empty when the spec may be used.
std::vector<rollout::FieldError> analysisPolicyErrors(const analysis::AnalysisSpec& spec,
                                                      const analysis::PrometheusPolicy& policy);

// Adds analysisPolicyErrors() to `parsed` (dropping its spec when there are any), so the
// planner reports them as InvalidSpec and never starts a check or promotes on them.
void applyAnalysisPolicy(rollout::SpecParseResult& parsed,
                         const analysis::PrometheusPolicy& policy);

Result<analysis::AnalysisRequest> buildAnalysisRequest(k8s::ApiClient& api, const std::string& ns,
                                                       const std::string& rollout,
                                                       const analysis::AnalysisSpec& spec,
                                                       const rollout::StartAnalysis& action,
                                                       const analysis::PrometheusPolicy& policy);

}  // namespace mr::reconcile
