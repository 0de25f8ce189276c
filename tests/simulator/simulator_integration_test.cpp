// Integration: the real mr-test-apiserver and mr-simulator processes, driven through the
// project's RestClient. Skips (with the reason) only when a binary is missing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/clock.h"
#include "k8s/kube_config.h"
#include "k8s/rest_client.h"

extern char** environ;

namespace mr::sim {
namespace {

namespace fs = std::filesystem;
using k8s::Json;
namespace res = k8s::resources;

class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log) {
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() { stop(); }
  int stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool waitFor(const std::function<bool()>& condition, Millis timeout) {
  const auto deadline = RealClock::instance().steadyNow() + timeout;
  while (RealClock::instance().steadyNow() < deadline) {
    if (condition()) return true;
    RealClock::instance().sleepFor(Millis(50));
  }
  return condition();
}

std::string httpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[8192];
      for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;)
        out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return out;
}

// Sum of model_requests_total samples whose label text contains all of `needles`.
double requests(const std::string& metrics, const std::vector<std::string>& needles) {
  double sum = 0;
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model_requests_total{", 0) != 0) continue;
    bool match = true;
    for (const auto& n : needles)
      match = match && line.find(n) != std::string::npos;
    if (match) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

Json looseCrd(const std::string& group, const std::string& plural, const std::string& kind,
              const std::string& version) {
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata", {{"name", plural + "." + group}}},
          {"spec",
           {{"group", group},
            {"scope", "Namespaced"},
            {"names", {{"plural", plural}, {"kind", kind}, {"singular", ""}}},
            {"versions",
             {{{"name", version},
               {"served", true},
               {"storage", true},
               {"subresources", {{"status", Json::object()}}},
               {"schema",
                {{"openAPIV3Schema",
                  {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}}}};
}

Json deployment(const std::string& name, int replicas, const std::string& image,
                const std::string& error_rate) {
  const Json labels = {{"app", "demo"}, {"role", name}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", labels}}},
            {"template",
             {{"metadata", {{"labels", labels}}},
              {"spec",
               {{"containers",
                 {{{"name", "server"},
                   {"image", image},
                   {"env", {{{"name", "SIM_ERROR_RATE"}, {"value", error_rate}}}}}}}}}}}}}};
}

Json httpRoute(int stable, int canary) {
  return {{"apiVersion", "gateway.networking.k8s.io/v1"},
          {"kind", "HTTPRoute"},
          {"metadata", {{"name", "demo"}, {"namespace", "default"}}},
          {"spec",
           {{"rules",
             {{{"backendRefs",
                {{{"name", "demo-stable"}, {"port", 80}, {"weight", stable}},
                 {{"name", "demo-canary"}, {"port", 80}, {"weight", canary}}}}}}}}}};
}

class SimulatorIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string bin : {MR_TEST_APISERVER_BIN, MR_SIMULATOR_BIN}) {
      if (!fs::exists(bin)) GTEST_SKIP() << "binary missing: " << bin;
    }
    dir_ = fs::temp_directory_path() / ("mr-sim-it-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    apiserver_ = std::make_unique<Child>(
        std::vector<std::string>{MR_TEST_APISERVER_BIN, "--listen", "127.0.0.1:0", "--port-file",
                                 path("api.port"), "--kubeconfig-out", path("kubeconfig"),
                                 "--bookmark-interval", "1s"},
        path("apiserver.log"));
    ASSERT_TRUE(waitFor([&] { return fs::exists(path("kubeconfig")); }, Millis(10000)))
        << readFile(path("apiserver.log"));
    auto config = k8s::loadKubeconfig({path("kubeconfig")}, "", RealClock::instance());
    ASSERT_TRUE(config.isOk()) << config.status().toString();
    auto client = k8s::RestClient::create(*config);
    ASSERT_TRUE(client.isOk()) << client.status().toString();
    client_ = std::move(*client);

    for (const Json& crd :
         {looseCrd("modelrollout.io", "modelrollouts", "ModelRollout", "v1alpha1"),
          looseCrd("gateway.networking.k8s.io", "httproutes", "HTTPRoute", "v1")}) {
      auto created = client_->create(res::customResourceDefinitions(), "", crd);
      ASSERT_TRUE(created.isOk()) << created.status().toString();
    }
    simulator_ = std::make_unique<Child>(
        std::vector<std::string>{MR_SIMULATOR_BIN, "--kubeconfig", path("kubeconfig"),
                                 "--port-file", path("sim.port"), "--ready-delay", "2s", "--rate",
                                 "400", "--seed", "3", "--log-level", "debug"},
        path("simulator.log"));
    ASSERT_TRUE(waitFor([&] { return fs::exists(path("sim.port")); }, Millis(10000)))
        << readFile(path("simulator.log"));
    metrics_port_ = std::stoi(readFile(path("sim.port")));
  }

  void TearDown() override {
    if (simulator_) {
      const int status = simulator_->stop();
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "simulator did not exit cleanly: " << readFile(path("simulator.log"));
    }
    apiserver_.reset();
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  Json getDeployment(const std::string& name) {
    auto d = client_->get(res::deployments(), "default", name);
    return d.isOk() ? *d : Json();
  }
  bool available(const std::string& name) {
    const Json d = getDeployment(name);
    if (d.is_null() || !d.contains("status")) return false;
    const Json& s = d["status"];
    return s.value("observedGeneration", 0) == d["metadata"].value("generation", -1) &&
           s.value("availableReplicas", -1) == d["spec"].value("replicas", 1) &&
           s.value("updatedReplicas", -1) == d["spec"].value("replicas", 1);
  }
  std::string metrics() { return httpGet(metrics_port_, "/metrics"); }

  fs::path dir_;
  std::unique_ptr<Child> apiserver_, simulator_;
  std::unique_ptr<k8s::RestClient> client_;
  int metrics_port_ = 0;
};

TEST_F(SimulatorIntegrationTest, DeploymentsBecomeAvailableAndTrafficFollowsTheHttpRoute) {
  ASSERT_TRUE(
      client_->create(res::deployments(), "default", deployment("demo-stable", 2, "m:1", "0"))
          .isOk());
  ASSERT_TRUE(waitFor([&] { return available("demo-stable"); }, Millis(20000)))
      << getDeployment("demo-stable").dump() << readFile(path("simulator.log"));
  const Json status = getDeployment("demo-stable")["status"];
  EXPECT_EQ(status["readyReplicas"], 2);
  EXPECT_EQ(status["conditions"][1]["reason"], "NewReplicaSetAvailable");

  ASSERT_TRUE(
      client_->create(res::deployments(), "default", deployment("demo-canary", 1, "m:2", "0.5"))
          .isOk());
  ASSERT_TRUE(client_->create(res::httpRoutes(), "default", httpRoute(50, 50)).isOk());
  const Json rollout = {
      {"apiVersion", "modelrollout.io/v1alpha1"},
      {"kind", "ModelRollout"},
      {"metadata", {{"name", "demo"}, {"namespace", "default"}}},
      {"spec", {{"replicas", 2}, {"trafficRouting", {{"gatewayAPI", {{"httpRoute", "demo"}}}}}}}};
  auto created = client_->create(res::modelRollouts(), "default", rollout);
  ASSERT_TRUE(created.isOk()) << created.status().toString();

  const std::vector<std::string> canary{"rollout=\"demo\"", "role=\"canary\""};
  const std::vector<std::string> stable{"rollout=\"demo\"", "role=\"stable\""};
  ASSERT_TRUE(waitFor([&] { return requests(metrics(), canary) >= 600; }, Millis(15000)))
      << metrics() << readFile(path("simulator.log"));
  std::string text = metrics();
  const double c_all = requests(text, canary), s_all = requests(text, stable);
  const double c_err = requests(text, {"role=\"canary\"", "code=\"500\""});
  EXPECT_NEAR(c_all / (c_all + s_all), 0.5, 0.1);
  EXPECT_NEAR(c_err / requests(text, {"role=\"canary\"", "code=\"200\""}), 1.0, 0.35);
  EXPECT_EQ(requests(text, {"role=\"stable\"", "code=\"500\""}), 0);
  EXPECT_NE(
      text.find("model_request_duration_seconds_bucket{namespace=\"default\",rollout=\"demo\""),
      std::string::npos);
  EXPECT_NE(text.find("model_absolute_error_count{"), std::string::npos);

  // All traffic back to stable: the canary count stops growing.
  auto patched = client_->patch(res::httpRoutes(), "default", "demo", k8s::PatchType::kMerge,
                                {{"spec", httpRoute(100, 0)["spec"]}});
  ASSERT_TRUE(patched.isOk()) << patched.status().toString();
  // Once the simulator has followed the route (two scrapes 1 s apart with the same canary count),
  // the canary count stays put while stable keeps serving.
  double canary_after_switch = -1;
  ASSERT_TRUE(waitFor(
      [&] {
        const double before = requests(metrics(), canary);
        RealClock::instance().sleepFor(Millis(1000));
        canary_after_switch = requests(metrics(), canary);
        return canary_after_switch == before;
      },
      Millis(15000)))
      << "the canary kept receiving requests after the route sent it none";
  const double stable_after_switch = requests(metrics(), stable);
  RealClock::instance().sleepFor(Millis(1500));
  text = metrics();
  EXPECT_EQ(requests(text, canary), canary_after_switch);
  EXPECT_GT(requests(text, stable), stable_after_switch + 100);

  // Rolling update of stable: first updatedReplicas 0 with the old pods ready, then all updated.
  Json stable_obj = getDeployment("demo-stable");
  stable_obj["spec"]["template"]["spec"]["containers"][0]["image"] = "m:2";
  ASSERT_TRUE(client_->update(res::deployments(), stable_obj).isOk());
  bool saw_rolling = false;
  ASSERT_TRUE(waitFor(
      [&] {
        const Json d = getDeployment("demo-stable");
        const Json s = d.value("status", Json::object());
        if (s.value("observedGeneration", 0) == d["metadata"].value("generation", -1) &&
            s.value("updatedReplicas", -1) == 0 && s.value("readyReplicas", 0) == 2) {
          saw_rolling = true;
        }
        return available("demo-stable");
      },
      Millis(20000)));
  EXPECT_TRUE(saw_rolling) << "the intermediate rolling-update status was not observed";

  // Scale to zero: all counts zero.
  auto scaled = client_->patch(res::deployments(), "default", "demo-canary", k8s::PatchType::kMerge,
                               {{"spec", {{"replicas", 0}}}});
  ASSERT_TRUE(scaled.isOk());
  ASSERT_TRUE(waitFor([&] { return available("demo-canary"); }, Millis(20000)));
  const Json s = getDeployment("demo-canary")["status"];
  EXPECT_EQ(s.value("replicas", -1), 0);
  EXPECT_EQ(s.value("readyReplicas", -1), 0);
}

}  // namespace
}  // namespace mr::sim
