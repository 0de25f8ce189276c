// The HTTP/2 path of the transport (issue 15): the test API server speaks HTTP/1.1 only, so
// tools/h2proxy (a Go TLS reverse proxy offering ALPN h2, standard library only) is built and
// put in front of it. The proxy logs the protocol of every request and every new connection,
// which proves that requests and a watch go over HTTP/2 and share one connection. Skipped,
// with the reason printed, when no `go` toolchain is found.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "k8s/http_transport.h"
#include "k8s/rest_client.h"
#include "process_util.h"

namespace mr::k8s {
namespace {

namespace fs = std::filesystem;
using namespace mr::k8s::testing;
using std::chrono::milliseconds;

std::string findGo() {
  if (const char* go = std::getenv("GO"); go && *go) return go;
  if (std::system("command -v go >/dev/null 2>&1") == 0) return "go";
  if (fs::exists("/usr/local/go/bin/go")) return "/usr/local/go/bin/go";
  return "";
}

std::string readAll(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  return s;
}

int countLines(const std::string& text, const std::string& needle) {
  int n = 0;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);)
    n += line.find(needle) != std::string::npos;
  return n;
}

class Http2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string go = findGo();
    if (go.empty()) GTEST_SKIP() << "no Go toolchain (go not in PATH, $GO unset): cannot build "
                                    "tools/h2proxy, so the HTTP/2 path is not tested here";
    dir_ = fs::temp_directory_path() / ("mr-h2-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const std::string build = "cd '" MR_SOURCE_DIR "/tools/h2proxy' && GOFLAGS=-mod=mod "
                              "GOPROXY=off GOTOOLCHAIN=local '" + go + "' build -o '" +
                              (dir_ / "h2proxy").string() + "' . >'" +
                              (dir_ / "build.log").string() + "' 2>&1";
    ASSERT_EQ(std::system(build.c_str()), 0) << readAll(dir_ / "build.log");

    const std::string kubeconfig = (dir_ / "kubeconfig").string();
    apiserver_ = spawnProcess({MR_APISERVER_BIN, "--listen", "127.0.0.1:0", "--port-file",
                               (dir_ / "api-port").string(), "--kubeconfig-out", kubeconfig},
                              (dir_ / "apiserver.log").string());
    ASSERT_NE(waitForText((dir_ / "apiserver.log").string(), "listening on", 15000), "");
    ASSERT_NE(waitForText(kubeconfig, "server", 5000), "");
    const std::string api_port = trimmed(waitForText((dir_ / "api-port").string(), "", 5000));
    proxy_ = spawnProcess({(dir_ / "h2proxy").string(), "--backend",
                           "http://127.0.0.1:" + api_port, "--dir", dir_.string()},
                          (dir_ / "proxy.log").string());
    ASSERT_NE(waitForText((dir_ / "proxy.log").string(), "listening on", 15000), "")
        << readAll(dir_ / "proxy.log");
    auto config = loadKubeconfig({kubeconfig}, "", RealClock::instance());
    ASSERT_TRUE(config.isOk()) << config.status().toString();
    config_ = *config;
    config_.server = "https://127.0.0.1:" + trimmed(readAll(dir_ / "port"));
    config_.ca_pem = readAll(dir_ / "ca.crt");
    config_.insecure_skip_tls_verify = false;
  }
  void TearDown() override {
    if (proxy_.pid > 0) stopProcess(proxy_.pid, SIGTERM, 5000);
    if (apiserver_.pid > 0) stopProcess(apiserver_.pid, SIGTERM, 5000);
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string proxyLog() { return readAll(dir_ / "proxy.log"); }

  fs::path dir_;
  Spawned apiserver_, proxy_;
  ClusterConfig config_;
};

TEST_F(Http2Test, RequestsAndAWatchGoOverOneHttp2Connection) {
  auto transport = HttpTransport::create(config_);
  ASSERT_TRUE(transport.isOk()) << transport.status().toString();
  auto version = (*transport)->roundTrip(
      HttpOutgoing{"GET", "/version", {{"Accept", "application/json"}}, ""}, milliseconds(5000));
  ASSERT_TRUE(version.isOk()) << version.status().toString();
  EXPECT_EQ(version->http_version, 20) << "ALPN chose h2";

  auto client = RestClient::create(config_);
  ASSERT_TRUE(client.isOk()) << client.status().toString();
  RestClient& c = **client;
  auto ns = c.create(resources::namespaces(), "",
                     {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "h2"}}}});
  ASSERT_TRUE(ns.isOk() || ns.status().code() == StatusCode::kAlreadyExists);

  // A watch stays open while eight threads write and read beside it on the same client.
  CancelToken cancel;
  std::atomic<int> added{0};
  std::thread watcher([&] {
    WatchOptions options;
    options.timeout_seconds = 30;
    (void)c.watch(
        resources::configMaps(), "h2", options,
        [&](const WatchEvent& e) { added += e.type == WatchEventType::kAdded; }, cancel);
  });
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 5; ++i) {
        const std::string name = "cm-" + std::to_string(w) + "-" + std::to_string(i);
        Json cm = {{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata", {{"name", name}, {"namespace", "h2"}}},
                   {"data", {{"k", std::string(2000, 'v')}}}};
        if (!c.create(resources::configMaps(), "h2", cm).isOk()) ++failures;
        if (!c.get(resources::configMaps(), "h2", name).isOk()) ++failures;
      }
    });
  }
  for (auto& t : writers)
    t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_TRUE(eventually([&] { return added >= 40; }, 10000)) << added;
  cancel.cancelled = true;
  watcher.join();

  const std::string log = proxyLog();
  EXPECT_GE(countLines(log, "request proto=HTTP/2.0 method=GET uri=/api/v1/namespaces/h2/"
                            "configmaps?watch=1"),
            1)
      << log;
  EXPECT_EQ(countLines(log, "request proto=HTTP/2.0 method=POST"), 41) << log;
  EXPECT_EQ(countLines(log, "proto=HTTP/1.1"), 0) << "no request fell back to HTTP/1.1";
  // One connection for the RestClient (all 81 requests and the watch multiplexed) and one for
  // the first, separate transport.
  EXPECT_EQ(countLines(log, "conn new"), 2) << log;
}

}  // namespace
}  // namespace mr::k8s
