// Issue 15 through the reconciler: tenants reach only the Prometheus addresses and Secrets the
// platform allowed (allowed addresses, opt-in and address-bound Secrets, no token over plain
// HTTP or with control characters, no user info in status or Events).
#include <gtest/gtest.h>

#include "tests/reconcile/reconciler_fixture.h"

namespace mr::reconcile::reconciler_test {
namespace {

json withPrometheus(const std::string& image, json prometheus) {
  json o = rollout(image, true);
  o["spec"]["analysis"]["prometheus"] = std::move(prometheus);
  return o;
}

json tokenSecret(const std::optional<std::string>& bound_to) {
  json s = {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata", {{"name", "prom-token"}, {"namespace", "ml"}}},
            {"data", {{"token", "czNjcjN0LXRva2Vu"}}}};  // "s3cr3t-token"
  if (bound_to) s["metadata"]["annotations"] = {{"modelrollout.io/prometheus-address", *bound_to}};
  return s;
}

int secretReads(const mr::testing::FakeApiClient& api) {
  int n = 0;
  for (const auto& r : api.requests())
    n += r.plural == "secrets";
  return n;
}

TEST_F(ReconcilerTest, UnlistedPrometheusAddressIsInvalidSpecAndNeverQueriedOrPromoted) {
  canaryAtFirstStep();
  ASSERT_EQ(routeCanaryWeight(), 1);
  auto o = *api.object(res::modelRollouts(), "ml", "m");
  const json unlisted = withPrometheus("img:2", {{"address", "http://10.0.0.7:8080"}});
  o["spec"]["analysis"] = unlisted["spec"]["analysis"];
  ASSERT_TRUE(api.update(res::modelRollouts(), o).isOk());
  for (int i = 0; i < 5; ++i) {
    clock.advance(std::chrono::seconds(30));
    settle(2);
  }
  EXPECT_EQ(status()["phase"], "Degraded");
  const std::string dump = status().dump();
  EXPECT_NE(dump.find("spec.analysis.prometheus.address"), std::string::npos) << dump;
  EXPECT_NE(dump.find("[http://127.0.0.1:9, https://prom.example]"), std::string::npos) << dump;
  EXPECT_TRUE(hasEvent("InvalidSpec"));
  EXPECT_TRUE(analyzer.requests.empty()) << "an unlisted address must never be queried";
  // Nothing can judge the canary now: it keeps its pods but loses its traffic (issue 13), and
  // is certainly not promoted.
  EXPECT_EQ(routeCanaryWeight(), 0)
      << "no traffic and no promotion on a spec the platform does not allow";
  EXPECT_NE(status()["stableRevision"], status()["canaryRevision"]);
}

TEST_F(ReconcilerTest, SecretNotSentToUnlistedAddress) {
  // Even a Secret that names the address is not read for an address off the allow-list.
  api.seed(res::secrets(), tokenSecret("https://attacker.example"));
  api.seed(res::modelRollouts(),
           withPrometheus("img:1",
                          {{"address", "https://attacker.example"},
                           {"bearerTokenSecretRef", {{"name", "prom-token"}, {"key", "token"}}}}));
  for (int i = 0; i < 3; ++i) {
    clock.advance(std::chrono::seconds(30));
    settle(2);
  }
  EXPECT_EQ(secretReads(api), 0);
  EXPECT_TRUE(analyzer.requests.empty());
  EXPECT_EQ(status()["phase"], "Degraded");
}

TEST_F(ReconcilerTest, TokenNeverSentOverPlainHttpIsInvalidSpec) {
  api.seed(res::secrets(), tokenSecret("http://127.0.0.1:9"));
  api.seed(res::modelRollouts(),
           withPrometheus("img:1",
                          {{"address", "http://127.0.0.1:9"},
                           {"bearerTokenSecretRef", {{"name", "prom-token"}, {"key", "token"}}}}));
  settle();
  EXPECT_EQ(status()["phase"], "Degraded");
  EXPECT_NE(status().dump().find("spec.analysis.prometheus.bearerTokenSecretRef"),
            std::string::npos)
      << status().dump();
  EXPECT_EQ(secretReads(api), 0);
}

// Issue 15: a Prometheus address with user:pass@ ended up in Events.
TEST_F(ReconcilerTest, UserInfoInAddressNeverReachesStatusOrEvents) {
  for (const char* address :
       {"http://admin:hunter2@127.0.0.1:9", "HTTP://admin:hunter2@prom example"}) {
    (void)api.remove(res::modelRollouts(), "ml", "m");
    events.clear();
    api.seed(res::modelRollouts(), withPrometheus("img:1", {{"address", address}}));
    settle(2);
    EXPECT_EQ(status()["phase"], "Degraded") << address;
    EXPECT_NE(status().dump().find("spec.analysis.prometheus.address"), std::string::npos)
        << status().dump();
    EXPECT_EQ(status().dump().find("hunter2"), std::string::npos) << status().dump();
    ASSERT_FALSE(events.empty());
    for (const auto& e : events)
      EXPECT_EQ(e.message.find("hunter2"), std::string::npos) << e.message;
  }
}

class ReconcilerSecretTest : public ReconcilerTest {
 protected:
  // img:1 then img:2 with analysis against the allowed https address and the token Secret;
  // the first check is due.
  void canaryWithTokenAnalysis() {
    const json prometheus = {{"address", "https://prom.example"},
                             {"bearerTokenSecretRef", {{"name", "prom-token"}, {"key", "token"}}}};
    api.seed(res::modelRollouts(), withPrometheus("img:1", prometheus));
    settle();
    auto o = *api.object(res::modelRollouts(), "ml", "m");
    o["spec"] = withPrometheus("img:2", prometheus)["spec"];
    ASSERT_TRUE(api.update(res::modelRollouts(), o).isOk());
    settle();
    ASSERT_EQ(routeCanaryWeight(), 1);
    clock.advance(std::chrono::seconds(6));
    settle(2);
  }
};

TEST_F(ReconcilerSecretTest, SecretWithoutOptInAnnotationIsNotSent) {
  api.seed(res::secrets(), tokenSecret(std::nullopt));
  canaryWithTokenAnalysis();
  EXPECT_TRUE(analyzer.requests.empty()) << "a Secret that did not opt in was sent";
  const auto latest = reconciler->analyses().snapshot("ml/m").latest;
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->verdict, analysis::Verdict::kError);
  EXPECT_NE(latest->message.find("modelrollout.io/prometheus-address"), std::string::npos)
      << latest->message;
  for (const auto& e : events)
    EXPECT_EQ(e.message.find("s3cr3t"), std::string::npos) << e.message;
  EXPECT_EQ(status().dump().find("s3cr3t"), std::string::npos);
}

TEST_F(ReconcilerSecretTest, SecretBoundToAnotherAddressIsNotSent) {
  api.seed(res::secrets(), tokenSecret("https://other.example"));
  canaryWithTokenAnalysis();
  EXPECT_TRUE(analyzer.requests.empty());
}

// Issue 15: a CR/LF inside a token would inject headers into the Prometheus request.
TEST_F(ReconcilerSecretTest, TokenWithControlCharactersIsNotSent) {
  json secret = tokenSecret("https://prom.example");
  secret["data"]["token"] = "YWJjDQpYLUluamVjdGVkOiAx";  // "abc\r\nX-Injected: 1"
  api.seed(res::secrets(), secret);
  canaryWithTokenAnalysis();
  EXPECT_TRUE(analyzer.requests.empty());
  const auto latest = reconciler->analyses().snapshot("ml/m").latest;
  ASSERT_TRUE(latest.has_value());
  EXPECT_NE(latest->message.find("control character"), std::string::npos) << latest->message;
  EXPECT_EQ(latest->message.find("X-Injected"), std::string::npos) << latest->message;
}

TEST_F(ReconcilerSecretTest, SecretBoundToTheAddressIsSent) {
  api.seed(res::secrets(), tokenSecret("https://prom.example:443/"));
  canaryWithTokenAnalysis();
  ASSERT_EQ(analyzer.requests.size(), 1u);
  EXPECT_EQ(analyzer.requests[0].bearer_token, "s3cr3t-token");
}

}  // namespace
}  // namespace mr::reconcile::reconciler_test
