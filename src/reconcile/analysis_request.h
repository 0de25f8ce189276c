// Building an analysis::AnalysisRequest for a StartAnalysis action: copies the analysis spec
// and resolves the Prometheus bearer token and CA from Secrets in the rollout's namespace
// (read through the API, never cached: Secrets are not watched, to keep RBAC and memory small).
// A missing Secret or key is a configuration error the caller turns into an Error verdict.
// Thread-safety: stateless; safe from many threads.
#pragma once

#include "analysis/analyzer.h"
#include "k8s/api_client.h"
#include "rollout/planner.h"

namespace mr::reconcile {

Result<analysis::AnalysisRequest> buildAnalysisRequest(k8s::ApiClient& api, const std::string& ns,
                                                       const std::string& rollout,
                                                       const analysis::AnalysisSpec& spec,
                                                       const rollout::StartAnalysis& action);

}  // namespace mr::reconcile
