// The client runtime and the controller binary against the project's test API server
// (e2e/apiserver, a separate implementation of the Kubernetes API).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "k8s/informer.h"
#include "k8s/rest_client.h"
#include "process_util.h"

namespace mr::k8s {
namespace {

namespace fs = std::filesystem;
using namespace mr::k8s::testing;
using std::chrono::milliseconds;

const RealClock& clock() {
  return RealClock::instance();
}

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mr-k8s-apiserver-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    kubeconfig_ = (dir_ / "kubeconfig").string();
    server_ = spawnProcess(
        {MR_APISERVER_BIN, "--listen", "127.0.0.1:0", "--port-file", (dir_ / "port").string(),
         "--kubeconfig-out", kubeconfig_, "--bookmark-interval", "1s"},
        (dir_ / "apiserver.log").string());
    ASSERT_NE(waitForText((dir_ / "apiserver.log").string(), "listening on", 15000), "")
        << "test API server did not start";
    ASSERT_NE(waitForText(kubeconfig_, "server", 5000), "");
    auto config = loadKubeconfig({kubeconfig_}, "", clock());
    ASSERT_TRUE(config.isOk()) << config.status().toString();
    auto client = RestClient::create(*config);
    ASSERT_TRUE(client.isOk()) << client.status().toString();
    client_ = std::move(*client);
    auto ns = client_->create(
        resources::namespaces(), "",
        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "itest"}}}});
    ASSERT_TRUE(ns.isOk() || ns.status().code() == StatusCode::kAlreadyExists)
        << ns.status().toString();
  }
  void TearDown() override {
    if (server_.pid > 0) stopProcess(server_.pid, SIGTERM, 5000);
    fs::remove_all(dir_);
  }
  Status faults(const Json& config) {
    return client_->request("POST", "/admin/faults", &config, "application/json", "admin").status();
  }
  Json configMap(const std::string& name, const std::string& value) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", "itest"}}},
            {"data", {{"v", value}}}};
  }

  fs::path dir_;
  std::string kubeconfig_;
  Spawned server_;
  std::unique_ptr<RestClient> client_;
};

TEST_F(ApiServerTest, ListWatchSeesChangesInOrderAndRelistsOnForced410) {
  ASSERT_TRUE(client_->create(resources::configMaps(), "itest", configMap("pre", "0")).isOk());
  InformerOptions options;
  options.ns = "itest";
  options.reflector.watch_timeout_seconds = 2;  // short streams so injected faults take effect
  options.reflector.backoff.initial = milliseconds(100);
  Informer informer(*client_, resources::configMaps(), options, clock());
  std::mutex mu;
  std::vector<std::string> log;
  const auto describe = [](const ObjectPtr& o) {
    return (*o)["metadata"].value("name", "") + "=" +
           (*o).value("data", Json::object()).value("v", "");
  };
  informer.addHandler({[&](const ObjectPtr& o) {
                         std::lock_guard l(mu);
                         log.push_back("add " + describe(o));
                       },
                       [&](const ObjectPtr& a, const ObjectPtr& b) {
                         if ((*a)["metadata"]["resourceVersion"] ==
                             (*b)["metadata"]["resourceVersion"])
                           return;
                         std::lock_guard l(mu);
                         log.push_back("update " + describe(b));
                       },
                       [&](const ObjectPtr& o) {
                         std::lock_guard l(mu);
                         log.push_back("delete " + describe(o));
                       }});
  informer.start();
  ASSERT_TRUE(eventually([&] { return informer.hasSynced(); }));

  ASSERT_TRUE(client_->create(resources::configMaps(), "itest", configMap("a", "1")).isOk());
  auto a = client_->get(resources::configMaps(), "itest", "a");
  ASSERT_TRUE(a.isOk());
  (*a)["data"]["v"] = "2";
  ASSERT_TRUE(client_->update(resources::configMaps(), *a).isOk());
  ASSERT_TRUE(client_->remove(resources::configMaps(), "itest", "a").isOk());
  ASSERT_TRUE(eventually([&] {
    std::lock_guard l(mu);
    return log.size() >= 4;
  }));
  {
    std::lock_guard l(mu);
    EXPECT_EQ(log, (std::vector<std::string>{"add pre=0", "add a=1", "update a=2", "delete a=2"}));
    log.clear();
  }

  // Force 410 on the next watch; meanwhile objects change so the relist has work to do.
  const int lists_before = informer.reflector().listCount();
  ASSERT_TRUE(faults({{"expireNextWatches", 1}}).isOk());
  ASSERT_TRUE(client_->create(resources::configMaps(), "itest", configMap("b", "1")).isOk());
  ASSERT_TRUE(client_->remove(resources::configMaps(), "itest", "pre").isOk());
  ASSERT_TRUE(eventually([&] { return informer.reflector().listCount() > lists_before; }))
      << "forced 410 did not cause a relist";
  ASSERT_TRUE(client_->create(resources::configMaps(), "itest", configMap("c", "1")).isOk());
  ASSERT_TRUE(eventually([&] { return informer.get("itest", "c") != nullptr; }));
  informer.stop();

  EXPECT_EQ(informer.size(), 2u);
  EXPECT_NE(informer.get("itest", "b"), nullptr);
  EXPECT_EQ(informer.get("itest", "pre"), nullptr);
  std::lock_guard l(mu);
  EXPECT_EQ(std::count(log.begin(), log.end(), "add b=1"), 1) << "b lost or duplicated";
  EXPECT_EQ(std::count(log.begin(), log.end(), "delete pre=0"), 1) << "pre lost or duplicated";
  EXPECT_EQ(std::count(log.begin(), log.end(), "add c=1"), 1);
  EXPECT_EQ(log.size(), 3u);
}

TEST_F(ApiServerTest, DroppedWatchResumesWithoutRelist) {
  InformerOptions options;
  options.ns = "itest";
  options.reflector.watch_timeout_seconds = 30;
  options.reflector.backoff.initial = milliseconds(100);
  ASSERT_TRUE(faults({{"dropWatchesAfterSeconds", 1}}).isOk());
  Informer informer(*client_, resources::configMaps(), options, clock());
  informer.start();
  ASSERT_TRUE(eventually([&] { return informer.hasSynced(); }));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        client_->create(resources::configMaps(), "itest", configMap("d" + std::to_string(i), "1"))
            .isOk());
    clock().sleepFor(milliseconds(700));
  }
  ASSERT_TRUE(eventually([&] { return informer.size() == 3; }));
  EXPECT_GE(informer.reflector().watchCount(), 2) << "watch was never dropped";
  EXPECT_EQ(informer.reflector().listCount(), 1) << "a dropped watch must resume, not relist";
  informer.stop();
}

TEST_F(ApiServerTest, ControllerBinaryReadinessMetricsLeaseAndCleanShutdown) {
  // Started before the CRD exists, the controller cannot sync: it must report not ready.
  const std::string log_path = (dir_ / "controller.log").string();
  Spawned controller =
      spawnProcess({MR_CONTROLLER_BIN, "--kubeconfig", kubeconfig_, "--leader-elect",
                    "--leader-election-namespace", "itest", "--metrics-bind-address", "127.0.0.1:0",
                    "--health-probe-bind-address", "127.0.0.1:0", "--log-format", "text"},
                   log_path);
  // Both addresses are "127.0.0.1:0", so one server carries probes and metrics.
  const std::string started = waitForText(log_path, "serving probes and metrics", 10000);
  ASSERT_NE(started, "") << "controller did not start";
  std::smatch m;
  const std::string text = started;
  ASSERT_TRUE(std::regex_search(
      text, m, std::regex("serving probes and metrics on \\S+ \\(port (\\d+)\\)")));
  const int health_port = std::stoi(m[1]);
  const int metrics_port = health_port;
  EXPECT_EQ(httpGet(health_port, "/healthz").code, 200);
  clock().sleepFor(milliseconds(500));
  EXPECT_EQ(httpGet(health_port, "/readyz").code, 503);

  Json crd = yamlFileToJson(MR_SOURCE_DIR "/crds/modelrollout.io_modelrollouts.yaml");
  auto created = client_->create(resources::customResourceDefinitions(), "", crd);
  ASSERT_TRUE(created.isOk()) << created.status().toString();
  // The HTTPRoute and VirtualService CRDs are never installed here: their read caches
  // (ControllerOptions::read_cached) keep retrying but must not hold readiness.
  EXPECT_TRUE(eventually([&] { return httpGet(health_port, "/readyz").code == 200; }, 40000))
      << "controller never became ready";

  Json rollout = Json::parse(R"({"apiVersion":"modelrollout.io/v1alpha1","kind":"ModelRollout",
    "metadata":{"name":"fraud","namespace":"itest"},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"fraud"}},
      "template":{"metadata":{"labels":{"app":"fraud"}},"spec":{"containers":[{"name":"s","image":"i:1"}]}},
      "service":{"port":80,"targetPort":8080}}})");
  auto r = client_->create(resources::modelRollouts(), "itest", rollout);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  // Whatever reconciler is plugged in, the new object must be reconciled without error.
  const std::regex reconciled(
      "modelrollout_reconcile_total\\{result=\"(success|requeue_after)\"\\} [1-9]");
  EXPECT_TRUE(eventually([&] {
    const std::string body = httpGet(metrics_port, "/metrics").body;
    return std::regex_search(body, reconciled);
  })) << httpGet(metrics_port, "/metrics").body;
  const std::string metrics = httpGet(metrics_port, "/metrics").body;
  EXPECT_NE(metrics.find("modelrollout_api_requests_total{code=\"200\",verb=\"list\"}"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("modelrollout_leader 1"), std::string::npos);
  EXPECT_TRUE(std::regex_search(metrics,
                                std::regex("modelrollout_reconcile_duration_seconds_count [1-9]")));
  auto lease = client_->get(resources::leases(), "itest", "modelrollout-controller-leader");
  ASSERT_TRUE(lease.isOk()) << lease.status().toString();
  EXPECT_NE((*lease)["spec"].value("holderIdentity", ""), "");

  const long rss = residentKiB(controller.pid);
  RecordProperty("controller_idle_rss_kib", std::to_string(rss));
  std::printf("controller idle RSS: %ld KiB\n", rss);

  EXPECT_EQ(stopProcess(controller.pid, SIGTERM, 10000), 0) << waitForText(log_path, "", 10);
  lease = client_->get(resources::leases(), "itest", "modelrollout-controller-leader");
  ASSERT_TRUE(lease.isOk());
  EXPECT_EQ((*lease)["spec"].value("holderIdentity", "x"), "") << "lease not released on SIGTERM";
  EXPECT_NE(waitForText(log_path, "stopped cleanly", 100), "");
}

// Issue 16: the real controller exports per-rollout series that appear with a rollout and
// disappear when it is deleted, modelrollout_build_info and the process metrics, and logs JSON
// lines whose reconcile-scoped lines carry namespace, name and reconcileID as fields.
TEST_F(ApiServerTest, ControllerBinaryExportsPerRolloutSeriesAndJsonLogFields) {
  Json crd = yamlFileToJson(MR_SOURCE_DIR "/crds/modelrollout.io_modelrollouts.yaml");
  ASSERT_TRUE(client_->create(resources::customResourceDefinitions(), "", crd).isOk());
  const std::string log_path = (dir_ / "controller.log").string();
  Spawned controller =
      spawnProcess({MR_CONTROLLER_BIN, "--kubeconfig", kubeconfig_, "--namespace", "itest",
                    "--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address",
                    "127.0.0.1:0", "--log-format", "json", "--log-level", "debug"},
                   log_path);
  const std::string started = waitForText(log_path, "serving probes and metrics", 10000);
  ASSERT_NE(started, "") << "controller did not start";
  std::smatch m;
  ASSERT_TRUE(std::regex_search(started, m, std::regex("\\(port (\\d+)\\)")));
  const int port = std::stoi(m[1]);
  const auto scrape = [&] { return httpGet(port, "/metrics").body; };

  Json rollout = Json::parse(R"({"apiVersion":"modelrollout.io/v1alpha1","kind":"ModelRollout",
    "metadata":{"name":"fraud","namespace":"itest"},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"fraud"}},
      "template":{"metadata":{"labels":{"app":"fraud"}},"spec":{"containers":[{"name":"s","image":"i:1"}]}},
      "service":{"port":80,"targetPort":8080}}})");
  ASSERT_TRUE(client_->create(resources::modelRollouts(), "itest", rollout).isOk());
  const std::regex info(
      R"re(modelrollout_rollout_info\{namespace="itest",name="fraud",phase="[A-Za-z]+"\} 1\n)re");
  EXPECT_TRUE(eventually([&] { return std::regex_search(scrape(), info); }, 30000)) << scrape();
  std::string body = scrape();
  EXPECT_NE(body.find(R"(modelrollout_rollout_canary_weight{namespace="itest",name="fraud"} 0)"),
            std::string::npos)
      << body;
  EXPECT_TRUE(std::regex_search(
      body,
      std::regex(
          R"re(modelrollout_build_info\{compiler="[^"]+",revision="[^"]+",version="[^"]+"\} 1\n)re")))
      << body;
  for (const char* name :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
        "process_max_fds ", "process_start_time_seconds ", "process_virtual_memory_bytes "}) {
    EXPECT_NE(body.find(std::string("\n") + name), std::string::npos) << name;
  }
  EXPECT_NE(body.find("modelrollout_leader 1"), std::string::npos) << "no leader election: 1";

  ASSERT_TRUE(client_->remove(resources::modelRollouts(), "itest", "fraud").isOk());
  EXPECT_TRUE(
      eventually([&] { return scrape().find(R"(name="fraud")") == std::string::npos; }, 30000))
      << "series of the deleted rollout remain:\n"
      << scrape();

  EXPECT_EQ(stopProcess(controller.pid, SIGTERM, 10000), 0);
  std::ifstream in(log_path);
  int lines = 0, scoped = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    ++lines;
    Json j = Json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    for (const char* key : {"ts", "level", "logger", "msg"}) {
      EXPECT_TRUE(j.contains(key)) << key << " missing in " << line;
    }
    if (j.value("name", "") == "fraud") {
      ++scoped;
      EXPECT_EQ(j.value("namespace", ""), "itest") << line;
      EXPECT_EQ(j.value("logger", ""), "reconciler") << line;
      EXPECT_EQ(j.value("reconcileID", "").size(), 36u) << line;
      EXPECT_EQ(j.value("msg", "").find("itest/fraud"), std::string::npos)
          << "the key belongs in fields: " << line;
    }
  }
  EXPECT_GT(lines, 3);
  EXPECT_GT(scoped, 0) << "no reconcile-scoped line for itest/fraud";
}

TEST_F(ApiServerTest, ControllerExitsAtOnceWhenItsLeaseRenewalTimesOut) {
  // Issue 13, item 10: on lost leadership the controller used to drain its workers (which
  // kept writing) and its lease calls could take 30 s against a 15 s lease. Now a renewal
  // is bounded by the renew deadline and a loss ends the process with code 1 at once.
  const std::string log_path = (dir_ / "controller.log").string();
  Spawned controller = spawnProcess(
      {MR_CONTROLLER_BIN, "--kubeconfig", kubeconfig_, "--leader-elect",
       "--leader-election-namespace", "itest", "--leader-elect-lease-duration", "3s",
       "--leader-elect-renew-deadline", "2s", "--leader-elect-retry-period", "500ms",
       "--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--log-format", "text"},
      log_path);
  ASSERT_NE(waitForText(log_path, "became leader", 15000), "") << waitForText(log_path, "", 10);
  auto lease = client_->get(resources::leases(), "itest", "modelrollout-controller-leader");
  ASSERT_TRUE(lease.isOk());
  // The identity is in the User-Agent too, so the server's write log names the writer.
  const std::string holder = (*lease)["spec"].value("holderIdentity", "");
  auto writes = client_->request("GET", "/admin/writes", nullptr, "", "admin");
  ASSERT_TRUE(writes.isOk());
  bool named = false;
  for (const Json& w : (*writes)["items"]) {
    named = named || (w["resource"] == "leases" &&
                      w["userAgent"].get<std::string>().find(holder) != std::string::npos);
  }
  EXPECT_TRUE(named) << writes->dump();

  ASSERT_TRUE(faults({{"latencyMs", 3000}}).isOk());
  const auto slowed = clock().steadyNow();
  const int code = stopProcess(controller.pid, 0, 8000);  // signal 0: only wait
  const auto took = std::chrono::duration_cast<milliseconds>(clock().steadyNow() - slowed).count();
  EXPECT_EQ(code, 1) << waitForText(log_path, "", 10);
  EXPECT_LT(took, 4000) << "exit took " << took << " ms";
  EXPECT_NE(waitForText(log_path, "leader election lost", 100), "");
  std::printf("controller exited %lld ms after the API server slowed down\n",
              static_cast<long long>(took));
}

}  // namespace
}  // namespace mr::k8s
