// Issue 13 items 8 and 9: objects with our names that are not ours, and routes that cannot be
// split safely. Before, the controller took any existing Service or Deployment with our names
// (or got a 422 on every pass from one another controller owns), and a route naming neither of
// our Services, shared with a foreign backend, or forbidden by RBAC failed every pass with no
// status or Event. Now each is Degraded with a message naming the object, with one Event and
// no write to it.
#include <gtest/gtest.h>

#include "analysis/analyzer.h"
#include "common/fake_clock.h"
#include "reconcile/modelrollout_reconciler.h"
#include "tests/traffic/fake_api_client.h"

namespace mr::reconcile {
namespace {

using nlohmann::json;
namespace res = k8s::resources;

class NoAnalyzer final : public analysis::Analyzer {
 public:
  void submit(analysis::AnalysisRequest, std::function<void(analysis::AnalysisResult)>) override {}
};

json rolloutObject() {
  return {{"apiVersion", "modelrollout.io/v1alpha1"},
          {"kind", "ModelRollout"},
          {"metadata", {{"name", "m"}, {"namespace", "ml"}, {"uid", "uid-m"}}},
          {"spec",
           {{"replicas", 2},
            {"selector", {{"matchLabels", {{"app", "m"}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", "m"}}}}},
              {"spec", {{"containers", json::array({{{"name", "s"}, {"image", "img:1"}}})}}}}},
            {"trafficRouting", {{"gatewayAPI", {{"httpRoute", "m"}}}}},
            {"steps", json::array({{{"weight", 10}, {"hold", "10s"}}, {{"weight", 100}}})}}}};
}

json httpRoute(json backend_refs) {
  return {{"apiVersion", "gateway.networking.k8s.io/v1"},
          {"kind", "HTTPRoute"},
          {"metadata", {{"name", "m"}, {"namespace", "ml"}}},
          {"spec", {{"rules", json::array({{{"backendRefs", std::move(backend_refs)}}})}}}};
}

json ourBackends() {
  return json::array({{{"name", "m-stable"}, {"port", 80}, {"weight", 100}},
                      {{"name", "m-canary"}, {"port", 80}, {"weight", 0}}});
}

class BlockedRolloutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api.setStatusSubresource(res::modelRollouts());
    api.setStatusSubresource(res::deployments());
    ReconcilerDeps deps;
    deps.api = &api;
    deps.clock = &clock;
    deps.analyzer = &analyzer;
    // Like the controller's informers: only objects with the rollout label are cached.
    deps.cache = [this](const k8s::ResourceType& t, const std::string& ns,
                        const std::string& n) -> std::shared_ptr<const json> {
      auto o = api.object(t, ns, n);
      if (!o) return nullptr;
      if (!(t == res::modelRollouts()) &&
          !(*o)["metadata"].value("labels", json::object()).contains("modelrollout.io/rollout")) {
        return nullptr;
      }
      return std::make_shared<const json>(*o);
    };
    deps.enqueue = [](const k8s::ObjectKey&) {};
    deps.events = [this](const json&, const std::string& type, const std::string& reason,
                         const std::string& message) {
      events.push_back(type + " " + reason + ": " + message);
    };
    deps.progress_write_interval = std::chrono::milliseconds(0);
    reconciler = std::make_unique<ModelRolloutReconciler>(std::move(deps));
  }

  k8s::ReconcileResult pass() { return reconciler->reconcile({"ml", "m"}); }
  json status() { return (*api.object(res::modelRollouts(), "ml", "m"))["status"]; }
  int writesTo(const std::string& plural, const std::string& name) const {
    int n = 0;
    for (const auto& r : api.requests()) {
      if (r.plural == plural && r.name == name && (r.verb == "patch" || r.verb == "update")) ++n;
    }
    return n;
  }
  int count(const std::string& reason) const {
    int n = 0;
    for (const auto& e : events)
      n += e.find(" " + reason + ":") != std::string::npos;
    return n;
  }

  mr::testing::FakeApiClient api;
  FakeClock clock;
  NoAnalyzer analyzer;
  std::vector<std::string> events;
  std::unique_ptr<ModelRolloutReconciler> reconciler;
};

json foreignService(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}, {"namespace", "ml"}}},
          {"spec", {{"selector", {{"app", "legacy"}}}, {"ports", json::array({{{"port", 80}}})}}}};
}

TEST_F(BlockedRolloutTest, ExistingServiceWeDidNotCreateIsNotAdoptedWithoutOptIn) {
  api.seed(res::httpRoutes(), httpRoute(ourBackends()));
  api.seed(res::services(), foreignService("m-stable"));
  api.seed(res::modelRollouts(), rolloutObject());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(pass().error.isOk()) << i;
  EXPECT_EQ(status()["phase"], "Degraded") << status().dump(2);
  const std::string message = status()["message"];
  EXPECT_NE(message.find("Service ml/m-stable exists and was not created for ModelRollout m"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("modelrollout.io/adopt=true"), std::string::npos);
  EXPECT_EQ(writesTo("services", "m-stable"), 0) << "no write to an object that is not ours";
  EXPECT_EQ((*api.object(res::services(), "ml", "m-stable"))["spec"]["selector"]["app"], "legacy");
  EXPECT_EQ(count("ObjectNotOwned"), 1) << "one Event, not one per pass";

  // The user opts in: the next pass adopts it (our owner reference and selector) and goes on.
  auto svc = *api.object(res::services(), "ml", "m-stable");
  svc["metadata"]["annotations"]["modelrollout.io/adopt"] = "true";
  ASSERT_TRUE(api.update(res::services(), svc).isOk());
  ASSERT_TRUE(pass().error.isOk());
  const json adopted = *api.object(res::services(), "ml", "m-stable");
  EXPECT_EQ(adopted["metadata"]["ownerReferences"][0]["uid"],
            (*api.object(res::modelRollouts(), "ml", "m"))["metadata"]["uid"]);
  EXPECT_EQ(adopted["spec"]["selector"]["modelrollout.io/role"], "stable");
  EXPECT_NE(status()["phase"], "Degraded");
}

TEST_F(BlockedRolloutTest, DeploymentControlledByAnotherControllerIsNeverTakenEvenWithOptIn) {
  api.seed(res::httpRoutes(), httpRoute(ourBackends()));
  json d = {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata",
             {{"name", "m-stable"},
              {"namespace", "ml"},
              {"labels", {{"modelrollout.io/rollout", "m"}}},
              {"annotations", {{"modelrollout.io/adopt", "true"}}},
              {"ownerReferences", json::array({{{"apiVersion", "argoproj.io/v1alpha1"},
                                                {"kind", "Rollout"},
                                                {"name", "m"},
                                                {"uid", "other"},
                                                {"controller", true}}})}}},
            {"spec", {{"replicas", 3}}}};
  api.seed(res::deployments(), d);
  api.seed(res::modelRollouts(), rolloutObject());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(pass().error.isOk()) << i;
  EXPECT_EQ(status()["phase"], "Degraded");
  const std::string message = status()["message"];
  EXPECT_NE(message.find("Deployment ml/m-stable is controlled by Rollout m"), std::string::npos)
      << message;
  EXPECT_EQ(writesTo("deployments", "m-stable"), 0);
  EXPECT_EQ(count("ObjectNotOwned"), 1);
}

TEST_F(BlockedRolloutTest, ForeignBackendInOurRuleIsDegradedWithItsName) {
  json refs = ourBackends();
  refs.push_back({{"name", "legacy"}, {"port", 80}, {"weight", 50}});
  api.seed(res::httpRoutes(), httpRoute(refs));
  api.seed(res::modelRollouts(), rolloutObject());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(pass().error.isOk()) << i;
  EXPECT_EQ(status()["phase"], "Degraded");
  EXPECT_EQ(status()["history"].back()["reason"], "RouteInvalid");
  const std::string message = status()["message"];
  EXPECT_NE(message.find("backend legacy (weight 50)"), std::string::npos) << message;
  EXPECT_EQ(count("RouteInvalid"), 1);
  EXPECT_EQ(writesTo("httproutes", "m"), 0);
}

TEST_F(BlockedRolloutTest, RouteNamingNeitherServiceIsDegradedNotAnErrorEveryPass) {
  api.seed(res::httpRoutes(), httpRoute(json::array({{{"name", "other"}, {"port", 80}}})));
  api.seed(res::modelRollouts(), rolloutObject());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(pass().error.isOk()) << "was a failed pass, forever";
  EXPECT_EQ(status()["phase"], "Degraded");
  const std::string message = status()["message"];
  EXPECT_NE(message.find("no rule whose backendRefs name Service m-stable or m-canary"),
            std::string::npos)
      << message;
  EXPECT_EQ(count("RouteInvalid"), 1);
}

TEST_F(BlockedRolloutTest, ForbiddenRouteIsDegradedWithTheRbacHint) {
  api.seed(res::httpRoutes(), httpRoute(ourBackends()));
  api.seed(res::modelRollouts(), rolloutObject());
  api.injectError(
      "get", Status(StatusCode::kPermissionDenied, "httproutes is forbidden", 403, "Forbidden"),
      100, "httproutes");
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(pass().error.isOk()) << i;
  EXPECT_EQ(status()["phase"], "Degraded");
  EXPECT_EQ(status()["history"].back()["reason"], "RouteForbidden");
  const std::string message = status()["message"];
  EXPECT_NE(message.find("forbidden"), std::string::npos) << message;
  EXPECT_NE(message.find("rbac.gatewayAPI"), std::string::npos) << message;
  EXPECT_EQ(count("RouteForbidden"), 1);
}

}  // namespace
}  // namespace mr::reconcile
