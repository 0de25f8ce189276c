// buildAnalysisRequest's Secret reads (issue 15, item 5: malformed JSON from the API server must
// not crash the process): a Secret body of any shape is an error naming the Secret, never an
// exception; a well-formed, opted-in Secret still yields its token.
#include "reconcile/analysis_request.h"

#include <gtest/gtest.h>

#include "tests/traffic/fake_api_client.h"

namespace mr::reconcile {
namespace {

using nlohmann::json;

// Answers every Secret read with `body`, whatever it is.
class SecretBodyApi : public testing::FakeApiClient {
 public:
  explicit SecretBodyApi(json body) : body_(std::move(body)) {}
  Result<Json> get(const ResourceType& type, const std::string& ns,
                   const std::string& name) override {
    if (type.plural == "secrets") return body_;
    return FakeApiClient::get(type, ns, name);
  }

 private:
  json body_;
};

Result<analysis::AnalysisRequest> build(SecretBodyApi& api) {
  analysis::AnalysisSpec spec;
  spec.prometheus.address = "https://prom.example";
  spec.prometheus.bearer_token = analysis::SecretKeyRef{"prom-token", "token"};
  analysis::PrometheusPolicy policy;
  policy.allowed_addresses = {"https://prom.example"};
  return buildAnalysisRequest(api, "ml", "m", spec, rollout::StartAnalysis{1, "s", "c", {}},
                              policy);
}

TEST(AnalysisRequestSecretTest, MalformedSecretBodiesAreErrorsNotExceptions) {
  const json annotations = {{analysis::kSecretAddressAnnotation, "https://prom.example"}};
  const std::vector<json> bodies = {
      json::array({1, 2}),
      json("a string"),
      json(nullptr),
      json(5),
      {{"metadata", 5}, {"data", {{"token", "czNjcjN0"}}}},
      {{"metadata", {{"annotations", json::array()}}}, {"data", {{"token", "czNjcjN0"}}}},
      {{"metadata", {{"annotations", {{analysis::kSecretAddressAnnotation, 7}}}}},
       {"data", {{"token", "czNjcjN0"}}}},
      {{"metadata", {{"annotations", annotations}}}, {"data", "not an object"}},
      {{"metadata", {{"annotations", annotations}}}, {"data", {{"token", 42}}}},
  };
  for (const json& body : bodies) {
    SCOPED_TRACE(body.dump());
    SecretBodyApi api(body);
    Result<analysis::AnalysisRequest> r(invalidArgument("unset"));
    ASSERT_NO_THROW(r = build(api));
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.status().message().find("ml/prom-token"), std::string::npos)
        << r.status().message();
  }
}

TEST(AnalysisRequestSecretTest, OptedInSecretYieldsItsToken) {
  SecretBodyApi api(
      {{"metadata",
        {{"annotations", {{analysis::kSecretAddressAnnotation, "https://prom.example"}}}}},
       {"data", {{"token", "czNjcjN0Cg=="}}}});  // "s3cr3t\n"
  auto r = build(api);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->bearer_token, "s3cr3t");
}

}  // namespace
}  // namespace mr::reconcile
