#include "reconcile/analysis_request.h"

#include "k8s/base64.h"

namespace mr::reconcile {
namespace {

Result<std::string> readSecretKey(k8s::ApiClient& api, const std::string& ns,
                                  const analysis::SecretKeyRef& ref, const char* what) {
  const std::string where = std::string(what) + " Secret " + ns + "/" + ref.name;
  auto secret = api.get(k8s::resources::secrets(), ns, ref.name);
  if (!secret.isOk()) return secret.status().withContext("reading " + where);
  const auto& data = (*secret)["data"];
  if (!data.is_object() || !data.contains(ref.key) || !data[ref.key].is_string()) {
    return invalidArgument(where + " has no key \"" + ref.key + "\"");
  }
  auto decoded = k8s::base64Decode(data[ref.key].get<std::string>());
  if (!decoded.isOk()) return decoded.status().withContext(where + " key " + ref.key);
  std::string value = std::move(decoded).value();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r'))
    value.pop_back();
  return value;
}

}  // namespace

Result<analysis::AnalysisRequest> buildAnalysisRequest(k8s::ApiClient& api, const std::string& ns,
                                                       const std::string& rollout,
                                                       const analysis::AnalysisSpec& spec,
                                                       const rollout::StartAnalysis& action) {
  analysis::AnalysisRequest request;
  request.namespace_name = ns;
  request.rollout = rollout;
  request.stable_revision = action.stable_revision;
  request.canary_revision = action.canary_revision;
  request.step = action.step;
  request.evidence_since = action.evidence_since;
  request.spec = spec;
  if (spec.prometheus.bearer_token) {
    auto token = readSecretKey(api, ns, *spec.prometheus.bearer_token, "bearer token");
    if (!token.isOk()) return token.status();
    request.bearer_token = std::move(token).value();
  }
  if (spec.prometheus.ca_cert) {
    auto ca = readSecretKey(api, ns, *spec.prometheus.ca_cert, "CA");
    if (!ca.isOk()) return ca.status();
    request.ca_pem = std::move(ca).value() + "\n";
  }
  return request;
}

}  // namespace mr::reconcile
