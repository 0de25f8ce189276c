// The Gateway API and Istio routers against the test API server with the real upstream CRDs
// registered (their schemas and CEL rules validate every write). Skipped with a message only
// when mr-test-apiserver has not been built.
#include <gtest/gtest.h>

#include <filesystem>

#include "k8s/kube_config.h"
#include "k8s/rest_client.h"
#include "tests/plugin/subprocess.h"
#include "tests/plugin/yaml_json.h"
#include "traffic/traffic_router.h"

namespace mr::traffic {
namespace {

namespace fs = std::filesystem;
using k8s::Json;
using plugin::testing::Subprocess;

class RouterIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(MR_TEST_APISERVER)) {
      GTEST_SKIP() << "mr-test-apiserver is not built at " << MR_TEST_APISERVER
                   << " (build target mr-test-apiserver to run the router integration tests)";
    }
    dir_ = fs::temp_directory_path() /
           ("mr-router-it-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    const std::string kubeconfig = (dir_ / "kubeconfig").string();
    server_ = std::make_unique<Subprocess>(
        std::vector<std::string>{MR_TEST_APISERVER, "--listen", "127.0.0.1:0", "--port-file",
                                 (dir_ / "port").string(), "--kubeconfig-out", kubeconfig},
        (dir_ / "apiserver").string());
    const Clock& clock = RealClock::instance();
    const auto deadline = clock.steadyNow() + Millis(20000);
    while (server_->out().find("listening on") == std::string::npos) {
      ASSERT_FALSE(server_->poll()) << "apiserver exited: " << server_->err();
      ASSERT_LT(clock.steadyNow(), deadline) << "apiserver not ready: " << server_->err();
      clock.sleepFor(Millis(50));
    }
    auto config = k8s::loadKubeconfig({kubeconfig}, "", clock);
    ASSERT_TRUE(config.isOk()) << config.status().toString();
    auto client = k8s::RestClient::create(*config);
    ASSERT_TRUE(client.isOk()) << client.status().toString();
    api_ = std::move(*client);
    ASSERT_TRUE(
        api_->create(
                k8s::resources::namespaces(), "",
                Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "ml"}}}})
            .isOk());
    for (const char* file : {"gateway.networking.k8s.io_httproutes.yaml",
                             "networking.istio.io_virtualservices.yaml"}) {
      const Json crd = plugin::testing::yamlFileToJson(std::string(MR_UPSTREAM_CRDS) + "/" + file);
      auto created = api_->create(k8s::resources::customResourceDefinitions(), "", crd);
      ASSERT_TRUE(created.isOk()) << file << ": " << created.status().toString();
    }
  }
  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  // Creates `object`, retrying while the just-registered CRD is not served yet.
  void createWhenServed(const k8s::ResourceType& type, const Json& object) {
    const Clock& clock = RealClock::instance();
    const auto deadline = clock.steadyNow() + Millis(10000);
    Result<Json> made = internalError("not tried");
    while (!(made = api_->create(type, "ml", object)).isOk()) {
      ASSERT_NE(made.status().code(), StatusCode::kInvalidArgument) << made.status().toString();
      ASSERT_LT(clock.steadyNow(), deadline) << made.status().toString();
      clock.sleepFor(Millis(100));
    }
  }

  fs::path dir_;
  std::unique_ptr<Subprocess> server_;
  std::unique_ptr<k8s::RestClient> api_;
};

TEST_F(RouterIntegrationTest, GatewayApiStepsThroughWeightsOnAValidatedRoute) {
  createWhenServed(k8s::resources::httpRoutes(), Json::parse(R"({
    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
    "metadata": {"name": "fraud-scorer", "namespace": "ml"},
    "spec": {"parentRefs": [{"name": "public-gw"}], "hostnames": ["fraud.example.com"],
      "rules": [
        {"matches": [{"path": {"type": "PathPrefix", "value": "/v1"}}],
         "backendRefs": [{"name": "fraud-scorer-stable", "port": 80}]},
        {"matches": [{"path": {"type": "PathPrefix", "value": "/admin"}}],
         "backendRefs": [{"name": "admin-ui", "port": 8080}]}]}})"));
  TrafficRoutingConfig config{TrafficRoutingConfig::Kind::kGatewayApi, "fraud-scorer", "", {}};
  auto router = makeTrafficRouter(*api_, makeRouterTarget("ml", "fraud-scorer", 80, 4), config);
  ASSERT_TRUE(router->verify().isOk());
  for (int w : {1, 10, 50, 100, 0}) {
    const auto set = router->setWeight(w);
    ASSERT_TRUE(set.isOk()) << set.status().toString();
    EXPECT_EQ(*set, std::optional<int>(w)) << "read back from the PUT response";
    EXPECT_EQ(*router->readWeight(), std::optional<int>(w));
  }
  const Json route = *api_->get(k8s::resources::httpRoutes(), "ml", "fraud-scorer");
  EXPECT_EQ(route["spec"]["rules"][0]["backendRefs"].size(), 2u);
  EXPECT_EQ(route["spec"]["rules"][1]["backendRefs"],
            Json::parse(R"([{"group": "", "kind": "Service", "name": "admin-ui", "port": 8080,
                             "weight": 1}])"))
      << "the server's defaults apply; our write leaves the rule alone";
  ASSERT_TRUE(api_->remove(k8s::resources::httpRoutes(), "ml", "fraud-scorer").isOk());
  EXPECT_EQ(router->verify().code(), StatusCode::kNotFound);
}

TEST_F(RouterIntegrationTest, IstioSetsNamedRouteOnAValidatedVirtualService) {
  createWhenServed(k8s::resources::virtualServices(), Json::parse(R"({
    "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
    "metadata": {"name": "fraud-scorer", "namespace": "ml"},
    "spec": {"hosts": ["fraud.example.com"],
      "http": [{"name": "primary", "route": [
        {"destination": {"host": "fraud-scorer-stable.ml.svc.cluster.local",
                         "port": {"number": 80}}}]}]}})"));
  TrafficRoutingConfig config{TrafficRoutingConfig::Kind::kIstio, "", "fraud-scorer", {"primary"}};
  auto router = makeTrafficRouter(*api_, makeRouterTarget("ml", "fraud-scorer", 80, 4), config);
  ASSERT_TRUE(router->verify().isOk());
  EXPECT_EQ(*router->readWeight(), std::optional<int>(0));
  for (int w : {1, 50, 100}) {
    const auto set = router->setWeight(w);
    ASSERT_TRUE(set.isOk()) << set.status().toString();
    EXPECT_EQ(*set, std::optional<int>(w)) << "read back from the PUT response";
    EXPECT_EQ(*router->readWeight(), std::optional<int>(w));
  }
}

}  // namespace
}  // namespace mr::traffic
