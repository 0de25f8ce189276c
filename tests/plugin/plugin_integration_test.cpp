// kubectl-modelrollout against the project's test API server (a real HTTP API with the repo's
// CRD registered): every command through the real binary, its exit codes, and plugin discovery
// by the real kubectl. Skipped (with a message) only when mr-test-apiserver is not built.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/clock.h"
#include "k8s/kube_config.h"
#include "k8s/rest_client.h"
#include "rollout/template_hash.h"
#include "tests/plugin/sample_rollout.h"
#include "tests/plugin/subprocess.h"
#include "tests/plugin/yaml_json.h"

namespace mr::plugin {
namespace {

namespace fs = std::filesystem;
using k8s::Json;
using testing::Subprocess;

const k8s::ResourceType& rollouts() {
  return k8s::resources::modelRollouts();
}

class PluginIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(MR_TEST_APISERVER)) {
      GTEST_SKIP() << "mr-test-apiserver is not built at " << MR_TEST_APISERVER
                   << " (build target mr-test-apiserver to run the plugin integration tests)";
    }
    dir_ = fs::temp_directory_path() /
           ("mr-plugin-it-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    kubeconfig_ = (dir_ / "kubeconfig").string();
    server_ = std::make_unique<Subprocess>(
        std::vector<std::string>{MR_TEST_APISERVER, "--listen", "127.0.0.1:0", "--port-file",
                                 (dir_ / "port").string(), "--kubeconfig-out", kubeconfig_},
        (dir_ / "apiserver").string());
    ASSERT_TRUE(server_->started());
    const Clock& clock = RealClock::instance();
    const auto deadline = clock.steadyNow() + Millis(20000);
    while (server_->out().find("listening on") == std::string::npos) {
      ASSERT_FALSE(server_->poll()) << "apiserver exited: " << server_->err();
      ASSERT_LT(clock.steadyNow(), deadline) << "apiserver not ready: " << server_->err();
      clock.sleepFor(Millis(50));
    }
    auto config = k8s::loadKubeconfig({kubeconfig_}, "", clock);
    ASSERT_TRUE(config.isOk()) << config.status().toString();
    auto client = k8s::RestClient::create(*config);
    ASSERT_TRUE(client.isOk()) << client.status().toString();
    api_ = std::move(*client);

    auto ns = api_->create(
        k8s::resources::namespaces(), "",
        Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "ml"}}}});
    ASSERT_TRUE(ns.isOk() || ns.status().code() == StatusCode::kAlreadyExists)
        << ns.status().toString();
    const Json crd =
        testing::yamlFileToJson(MR_SOURCE_DIR "/crds/modelrollout.io_modelrollouts.yaml");
    auto created = api_->create(k8s::resources::customResourceDefinitions(), "", crd);
    ASSERT_TRUE(created.isOk()) << created.status().toString();
    // The CRD is served once established; the first create may race it.
    const Json rollout = testing::yamlFileToJson(MR_SOURCE_DIR "/examples/minimal.yaml");
    Result<Json> made = internalError("not tried");
    while (!(made = api_->create(rollouts(), "ml", rollout)).isOk()) {
      ASSERT_LT(clock.steadyNow(), deadline) << made.status().toString();
      clock.sleepFor(Millis(100));
    }
    setStatus(testing::sampleRollout()["status"]);
  }

  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Writes status through /status as the controller does, observing the current generation.
  void setStatus(Json status) {
    auto current = api_->get(rollouts(), "ml", "fraud-scorer");
    ASSERT_TRUE(current.isOk()) << current.status().toString();
    status["observedGeneration"] = (*current)["metadata"]["generation"];
    (*current)["status"] = status;
    auto updated = api_->updateStatus(rollouts(), *current);
    ASSERT_TRUE(updated.isOk()) << updated.status().toString();
  }
  Json stored() { return *api_->get(rollouts(), "ml", "fraud-scorer"); }

  std::unique_ptr<Subprocess> plugin(std::vector<std::string> args) {
    args.insert(args.begin(), {MR_PLUGIN_BINARY, "--kubeconfig", kubeconfig_, "-n", "ml"});
    return std::make_unique<Subprocess>(args,
                                        (dir_ / ("plugin" + std::to_string(++runs_))).string());
  }
  struct Run {
    int code;
    std::string out;
    std::string err;
  };
  Run runPlugin(std::vector<std::string> args) {
    auto p = plugin(std::move(args));
    const auto code = p->wait(Millis(20000));
    return {code.value_or(-1), p->out(), p->err()};
  }

  fs::path dir_;
  std::string kubeconfig_;
  std::unique_ptr<Subprocess> server_;
  std::unique_ptr<k8s::RestClient> api_;
  int runs_ = 0;
};

TEST_F(PluginIntegrationTest, ListAndStatusShowTheRollout) {
  const Run list = runPlugin({"list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("NAME           PHASE         STEP   WEIGHT   STABLE      CANARY"),
            std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("fraud-scorer   Progressing   2/4    10%      6d4f9c8b7   7b8e21aa0"),
            std::string::npos)
      << list.out;

  auto event = api_->create(k8s::resources::coreEvents(), "ml", Json::parse(R"({
      "apiVersion": "v1", "kind": "Event", "metadata": {"name": "fraud-scorer.1"},
      "involvedObject": {"apiVersion": "modelrollout.io/v1alpha1", "kind": "ModelRollout",
                         "name": "fraud-scorer", "namespace": "ml"},
      "type": "Normal", "reason": "StepAdvanced", "message": "weight 10%, read back 10%",
      "lastTimestamp": "2027-01-15T08:00:00Z", "count": 1,
      "source": {"component": "modelrollout-controller"}})"));
  ASSERT_TRUE(event.isOk()) << event.status().toString();
  const Run status = runPlugin({"status", "fraud-scorer"});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("Weight:      [##..................] 10%"), std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("errorRate    0.0004   <= 0.001"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("StepAdvanced   weight 10%, read back 10%"), std::string::npos)
      << status.out;

  const Run missing = runPlugin({"status", "nope"});
  EXPECT_EQ(missing.code, 4);
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
}

TEST_F(PluginIntegrationTest, ActionsEditAnnotationsAndSpecNeverStatus) {
  const Json status_before = stored()["status"];
  ASSERT_EQ(runPlugin({"promote", "fraud-scorer", "--full"}).code, 0);
  EXPECT_EQ(stored()["metadata"]["annotations"]["modelrollout.io/promote"], "full");
  ASSERT_EQ(runPlugin({"abort", "fraud-scorer"}).code, 0);
  EXPECT_EQ(stored()["metadata"]["annotations"]["modelrollout.io/abort"], "true");
  ASSERT_EQ(runPlugin({"retry", "fraud-scorer"}).code, 0);
  EXPECT_EQ(stored()["metadata"]["annotations"]["modelrollout.io/retry"], "true");
  const Run pause = runPlugin({"pause", "fraud-scorer"});
  ASSERT_EQ(pause.code, 0) << pause.err;
  EXPECT_EQ(pause.out, "modelrollout.modelrollout.io/fraud-scorer paused\n");
  EXPECT_EQ(stored()["spec"]["paused"], true);
  ASSERT_EQ(runPlugin({"resume", "fraud-scorer"}).code, 0);
  EXPECT_EQ(stored()["spec"]["paused"], false);
  EXPECT_EQ(stored()["status"], status_before);
  EXPECT_EQ(stored()["spec"]["template"]["spec"]["containers"][0]["image"],
            "registry.example/fraud-scorer:2.3.0");
}

TEST_F(PluginIntegrationTest, WatchExitCodesFollowThePhase) {
  const Clock& clock = RealClock::instance();
  auto watch = plugin({"status", "fraud-scorer", "--watch", "--timeout", "30s"});
  // Until the first view is drawn (a loaded machine may take seconds to start the process).
  for (int i = 0; i < 200 && watch->out().find("Phase:       Progressing") == std::string::npos &&
                  !watch->poll();
       ++i)
    clock.sleepFor(Millis(100));
  EXPECT_FALSE(watch->poll()) << "watch ended while Progressing: " << watch->out();
  Json rolled_back = testing::sampleRollout()["status"];
  rolled_back["phase"] = "RolledBack";
  rolled_back["message"] = "errorRate 0.02 > 0.001";
  setStatus(rolled_back);
  EXPECT_EQ(watch->wait(Millis(10000)), 1) << watch->err();
  EXPECT_NE(watch->out().find("Phase:       Progressing"), std::string::npos);
  EXPECT_NE(watch->out().find("Phase:       RolledBack"), std::string::npos);

  Json healthy = rolled_back;
  healthy["phase"] = "Healthy";
  setStatus(healthy);
  EXPECT_EQ(runPlugin({"status", "fraud-scorer", "-w"}).code, 0);
  healthy["phase"] = "Degraded";
  setStatus(healthy);
  EXPECT_EQ(runPlugin({"status", "fraud-scorer", "-w"}).code, 2);
  healthy["phase"] = "Paused";
  setStatus(healthy);
  EXPECT_EQ(runPlugin({"status", "fraud-scorer", "-w", "--timeout", "2s"}).code, 3);
}

TEST_F(PluginIntegrationTest, KubectlFindsThePluginOnPath) {
  if (!fs::exists("/usr/bin/kubectl")) GTEST_SKIP() << "kubectl is not installed";
  const std::string plugin_dir = fs::path(MR_PLUGIN_BINARY).parent_path().string();
  Subprocess kubectl(
      {"/usr/bin/kubectl", "modelrollout", "list", "--kubeconfig", kubeconfig_, "-n", "ml"},
      (dir_ / "kubectl").string(),
      {"PATH=" + plugin_dir + ":/usr/bin:/bin", "HOME=" + dir_.string()});
  ASSERT_EQ(kubectl.wait(Millis(20000)), 0) << kubectl.err();
  EXPECT_NE(kubectl.out().find("fraud-scorer   Progressing"), std::string::npos) << kubectl.out();
}

TEST_F(PluginIntegrationTest, SetImageThenUndoBackToTheStableRevision) {
  // The stable Deployment as the controller keeps it: the rollout's template (at the stable
  // revision) plus its labels, owned by the rollout.
  const Json rollout = stored();
  const Json stable_template = rollout["spec"]["template"];
  const std::string revision = rollout::podTemplateHash(stable_template);
  Json status = testing::sampleRollout()["status"];
  status["stableRevision"] = revision;
  setStatus(status);
  Json tmpl = stable_template;
  tmpl["metadata"]["labels"]["modelrollout.io/rollout"] = "fraud-scorer";
  tmpl["metadata"]["labels"]["modelrollout.io/role"] = "stable";
  tmpl["metadata"]["labels"]["modelrollout.io/revision"] = revision;
  Json selector = {{"matchLabels",
                    {{"app", "fraud-scorer"},
                     {"modelrollout.io/rollout", "fraud-scorer"},
                     {"modelrollout.io/role", "stable"}}}};
  auto deployment = api_->create(
      k8s::resources::deployments(), "ml",
      {{"apiVersion", "apps/v1"},
       {"kind", "Deployment"},
       {"metadata",
        {{"name", "fraud-scorer-stable"},
         {"labels",
          {{"modelrollout.io/rollout", "fraud-scorer"}, {"modelrollout.io/role", "stable"}}},
         {"ownerReferences", Json::array({{{"apiVersion", "modelrollout.io/v1alpha1"},
                                           {"kind", "ModelRollout"},
                                           {"name", "fraud-scorer"},
                                           {"uid", rollout["metadata"]["uid"]},
                                           {"controller", true}}})}}},
       {"spec", {{"replicas", 4}, {"selector", selector}, {"template", tmpl}}}});
  ASSERT_TRUE(deployment.isOk()) << deployment.status().toString();

  const Run set =
      runPlugin({"set", "image", "fraud-scorer", "server=registry.example/fraud-scorer:2.4.0"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(stored()["spec"]["template"]["spec"]["containers"][0]["image"],
            "registry.example/fraud-scorer:2.4.0");
  EXPECT_EQ(stored()["metadata"]["generation"], rollout["metadata"]["generation"].get<int>() + 1);
  const Run wrong = runPlugin({"set", "image", "fraud-scorer", "nope=x:1"});
  EXPECT_EQ(wrong.code, 4);
  EXPECT_NE(wrong.err.find("container \"nope\" not found"), std::string::npos) << wrong.err;

  const Run undo = runPlugin({"undo", "fraud-scorer"});
  ASSERT_EQ(undo.code, 0) << undo.err;
  EXPECT_EQ(stored()["spec"]["template"], stable_template);
  EXPECT_NE(undo.out.find("set back to the stable revision " + revision), std::string::npos)
      << undo.out;
  EXPECT_EQ(stored()["status"]["stableRevision"], revision);  // status is the controller's
}

TEST_F(PluginIntegrationTest, TreeAndMachineReadableOutput) {
  const Json rollout = stored();
  auto deployment = api_->create(
      k8s::resources::deployments(), "ml",
      {{"apiVersion", "apps/v1"},
       {"kind", "Deployment"},
       {"metadata",
        {{"name", "fraud-scorer-canary"},
         {"labels",
          {{"modelrollout.io/rollout", "fraud-scorer"}, {"modelrollout.io/role", "canary"}}},
         {"ownerReferences", Json::array({{{"apiVersion", "modelrollout.io/v1alpha1"},
                                           {"kind", "ModelRollout"},
                                           {"name", "fraud-scorer"},
                                           {"uid", rollout["metadata"]["uid"]},
                                           {"controller", true}}})}}},
       {"spec",
        {{"replicas", 1},
         {"selector", {{"matchLabels", {{"modelrollout.io/role", "canary"}}}}},
         {"template",
          {{"metadata", {{"labels", {{"modelrollout.io/role", "canary"}}}}},
           {"spec", rollout["spec"]["template"]["spec"]}}}}}});
  ASSERT_TRUE(deployment.isOk()) << deployment.status().toString();
  auto pod = api_->create(
      k8s::ResourceType{"", "v1", "pods", "Pod", true}, "ml",
      {{"apiVersion", "v1"},
       {"kind", "Pod"},
       {"metadata",
        {{"name", "fraud-scorer-canary-abc12"},
         {"labels",
          {{"modelrollout.io/rollout", "fraud-scorer"}, {"modelrollout.io/role", "canary"}}}}},
       {"spec", {{"containers", Json::array({{{"name", "server"}, {"image", "x:1"}}})}}}});
  ASSERT_TRUE(pod.isOk()) << pod.status().toString();

  const Run tree = runPlugin({"tree", "fraud-scorer"});
  ASSERT_EQ(tree.code, 0) << tree.err;
  EXPECT_NE(tree.out.find("`-- fraud-scorer-canary"), std::string::npos) << tree.out;
  EXPECT_NE(tree.out.find("`-- fraud-scorer-canary-abc12"), std::string::npos) << tree.out;

  const Run json = runPlugin({"get", "fraud-scorer", "-o", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  Json expected = stored();
  expected["metadata"].erase("managedFields");
  EXPECT_EQ(Json::parse(json.out), expected);
  const Run yaml = runPlugin({"status", "fraud-scorer", "-oyaml"});
  ASSERT_EQ(yaml.code, 0) << yaml.err;
  EXPECT_EQ(testing::yamlNodeToJson(YAML::Load(yaml.out)), expected);
  const Run list = runPlugin({"list", "-o=json"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(Json::parse(list.out)["items"].size(), 1u);
}

// kubectl's connection flags through the real binary against a TLS server with a token: each
// flag's effect shows in how far the request gets (TLS failure, 401, or the API's 404).
TEST_F(PluginIntegrationTest, KubectlConnectionFlagsReachATlsServerWithAToken) {
  const fs::path tls_dir = dir_ / "tls";
  fs::create_directories(tls_dir);
  Subprocess tls_server(
      {MR_TEST_APISERVER, "--listen", "127.0.0.1:0", "--port-file", (tls_dir / "port").string(),
       "--kubeconfig-out", (tls_dir / "kubeconfig").string(), "--tls", "--cert-dir",
       (tls_dir / "certs").string(), "--token", "s3cret"},
      (tls_dir / "apiserver").string());
  ASSERT_TRUE(tls_server.started());
  const Clock& clock = RealClock::instance();
  const auto deadline = clock.steadyNow() + Millis(20000);
  while (tls_server.out().find("listening on") == std::string::npos) {
    ASSERT_FALSE(tls_server.poll()) << tls_server.err();
    ASSERT_LT(clock.steadyNow(), deadline);
    clock.sleepFor(Millis(50));
  }
  std::string port = testing::readFile((tls_dir / "port").string());
  while (!port.empty() && (port.back() == '\n' || port.back() == ' '))
    port.pop_back();
  const std::string url = "https://127.0.0.1:" + port;
  const std::string ca = (tls_dir / "certs" / "ca.crt").string();
  // What the server says once a request got through TLS and authentication.
  const std::string kReached = "could not find the requested resource";
  auto run = [&](std::vector<std::string> flags) {
    flags.insert(flags.begin(), {MR_PLUGIN_BINARY, "--kubeconfig", (dir_ / "none").string()});
    flags.push_back("status");
    flags.push_back("fraud-scorer");
    Subprocess p(flags, (dir_ / ("tls-run" + std::to_string(++runs_))).string());
    const auto code = p.wait(Millis(20000));
    return Run{code.value_or(-1), p.out(), p.err()};
  };
  // Right token, verified with the CA: the server answers (the CRD is not registered there).
  const Run ok = run({"-s", url, "--token", "s3cret", "--certificate-authority", ca, "-n", "ml"});
  EXPECT_EQ(ok.code, 4);
  EXPECT_NE(ok.err.find(kReached), std::string::npos) << ok.err;
  // Same with verification off.
  const Run insecure = run({"--server=" + url, "--token=s3cret", "--insecure-skip-tls-verify"});
  EXPECT_NE(insecure.err.find(kReached), std::string::npos) << insecure.err;
  // Wrong token: 401.
  const Run bad_token = run({"-s", url, "--token", "wrong", "--certificate-authority", ca});
  EXPECT_EQ(bad_token.code, 4);
  EXPECT_EQ(bad_token.err.find(kReached), std::string::npos) << bad_token.err;
  EXPECT_NE(bad_token.err.find("nauthorized"), std::string::npos) << bad_token.err;
  // No CA and no --insecure-skip-tls-verify: the self-signed certificate is refused.
  const Run unverified = run({"-s", url, "--token", "s3cret"});
  EXPECT_EQ(unverified.code, 4);
  EXPECT_EQ(unverified.err.find(kReached), std::string::npos) << unverified.err;
  EXPECT_NE(unverified.err.find("certificate verification failed"), std::string::npos)
      << unverified.err;
  // Neither a kubeconfig nor --server.
  const Run nothing = run({});
  EXPECT_EQ(nothing.code, 4);
  EXPECT_NE(nothing.err.find("loading kubeconfig"), std::string::npos) << nothing.err;
}

TEST_F(PluginIntegrationTest, ContextClusterAndUserFlagsNameKubeconfigEntries) {
  const Run context = runPlugin({"list", "--context", "nope"});
  EXPECT_EQ(context.code, 4);
  EXPECT_NE(context.err.find("context \"nope\" not found"), std::string::npos) << context.err;
  const Run cluster = runPlugin({"list", "--cluster=nope"});
  EXPECT_EQ(cluster.code, 4);
  EXPECT_NE(cluster.err.find("cluster \"nope\" not found"), std::string::npos) << cluster.err;
  const Run user =
      runPlugin({"list", "--user", "mr-test", "--cluster", "mr-test", "--request-timeout=5s"});
  EXPECT_EQ(user.code, 0) << user.err;
  const Run timeout = runPlugin({"list", "--request-timeout", "soon"});
  EXPECT_EQ(timeout.code, 4);
}

}  // namespace
}  // namespace mr::plugin
