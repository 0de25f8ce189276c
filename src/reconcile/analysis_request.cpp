#include "reconcile/analysis_request.h"

#include "common/json_read.h"
#include "k8s/base64.h"

namespace mr::reconcile {
namespace {

constexpr const char* kAddressPath = "spec.analysis.prometheus.address";
constexpr const char* kTokenPath = "spec.analysis.prometheus.bearerTokenSecretRef";

// Reads one key of a Secret that is bound to `address` by its annotation.
Result<std::string> readSecretKey(k8s::ApiClient& api, const std::string& ns,
                                  const analysis::SecretKeyRef& ref, const char* what,
                                  const std::string& address) {
  const std::string where = std::string(what) + " Secret " + ns + "/" + ref.name;
  auto secret = api.get(k8s::resources::secrets(), ns, ref.name);
  if (!secret.isOk()) return secret.status().withContext("reading " + where);
  // Type-checked reads: a body of another shape (not an object, annotations not an object, a
  // value not a string) is an error, never an exception.
  const k8s::Json& object = *secret;
  const nlohmann::json* bound_value =
      jsonMember(jsonObject(jsonObject(object, "metadata"), "annotations"),
                 analysis::kSecretAddressAnnotation);
  const bool annotated = bound_value && bound_value->is_string();
  const std::string bound = annotated ? bound_value->get_ref<const std::string&>() : "";
  if (Status s = analysis::checkSecretBinding(bound, annotated, address, where); !s.isOk()) {
    return s;
  }
  const nlohmann::json* encoded = jsonMember(jsonObject(object, "data"), ref.key);
  if (!encoded || !encoded->is_string()) {
    return invalidArgument(where + " has no key \"" + ref.key + "\"");
  }
  auto decoded = k8s::base64Decode(encoded->get_ref<const std::string&>());
  if (!decoded.isOk()) return invalidArgument(where + " key " + ref.key + " is not base64");
  std::string value = std::move(decoded).value();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r'))
    value.pop_back();
  return value;
}

}  // namespace

std::vector<rollout::FieldError> analysisPolicyErrors(const analysis::AnalysisSpec& spec,
                                                      const analysis::PrometheusPolicy& policy) {
  std::vector<rollout::FieldError> errors;
  const auto& p = spec.prometheus;
  if (Status s = analysis::checkAddressAllowed(p.address, policy.allowed_addresses); !s.isOk()) {
    errors.push_back({kAddressPath, s.message()});
    return errors;  // the token rule needs a well-formed address
  }
  if (Status s = analysis::checkTokenTransport(p.address, p.bearer_token.has_value()); !s.isOk()) {
    errors.push_back({kTokenPath, s.message()});
  }
  return errors;
}

void applyAnalysisPolicy(rollout::SpecParseResult& parsed,
                         const analysis::PrometheusPolicy& policy) {
  if (!parsed.ok() || !parsed.spec || !parsed.spec->analysis) return;
  auto errors = analysisPolicyErrors(*parsed.spec->analysis, policy);
  if (errors.empty()) return;
  parsed.errors = std::move(errors);
  parsed.spec.reset();
}

Result<analysis::AnalysisRequest> buildAnalysisRequest(k8s::ApiClient& api, const std::string& ns,
                                                       const std::string& rollout,
                                                       const analysis::AnalysisSpec& spec,
                                                       const rollout::StartAnalysis& action,
                                                       const analysis::PrometheusPolicy& policy) {
  // Checked again here (not only by applyAnalysisPolicy) so no caller can read a Secret for an
  // address the platform did not allow.
  if (auto errors = analysisPolicyErrors(spec, policy); !errors.empty()) {
    return invalidArgument(errors.front().path + ": " + errors.front().message);
  }
  analysis::AnalysisRequest request;
  request.namespace_name = ns;
  request.rollout = rollout;
  request.stable_revision = action.stable_revision;
  request.canary_revision = action.canary_revision;
  request.step = action.step;
  request.evidence_since = action.evidence_since;
  request.spec = spec;
  const std::string& address = spec.prometheus.address;
  if (spec.prometheus.bearer_token) {
    auto token =
        readSecretKey(api, ns, *spec.prometheus.bearer_token, "bearerTokenSecretRef", address);
    if (!token.isOk()) return token.status();
    for (const unsigned char c : *token) {
      if (c < 0x20 || c == 0x7f) {
        return invalidArgument("bearerTokenSecretRef Secret " + ns + "/" +
                               spec.prometheus.bearer_token->name +
                               " holds a control character (a header value cannot carry it)");
      }
    }
    request.bearer_token = std::move(token).value();
  }
  if (spec.prometheus.ca_cert) {
    auto ca = readSecretKey(api, ns, *spec.prometheus.ca_cert, "caSecretRef", address);
    if (!ca.isOk()) return ca.status();
    request.ca_pem = std::move(ca).value() + "\n";
  }
  return request;
}

}  // namespace mr::reconcile
