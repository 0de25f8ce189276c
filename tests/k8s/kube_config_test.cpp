#include "k8s/kube_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "common/time_format.h"
#include "k8s/base64.h"
#include "test_clock.h"

namespace mr::k8s {
namespace {

namespace fs = std::filesystem;

class KubeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mr-kubeconfig-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& rel, const std::string& content, bool exec = false) {
    const fs::path p = dir_ / rel;
    std::ofstream(p) << content;
    if (exec) chmod(p.c_str(), 0755);
    return p.string();
  }
  EnvLookup env(std::map<std::string, std::string> vars) {
    return [vars](const std::string& k) -> std::optional<std::string> {
      auto it = vars.find(k);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }

  fs::path dir_;
  testing::TestClock clock_;
};

constexpr const char* kTwoContexts = R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example:6443/
    certificate-authority: sub/ca.pem
    tls-server-name: api.internal
- name: prod-cluster
  cluster:
    server: https://prod.example:443
    insecure-skip-tls-verify: true
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: ml}
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
users:
- name: dev-user
  user: {token: dev-token}
- name: prod-user
  user: {tokenFile: sub/token}
)";

TEST_F(KubeConfigTest, CurrentContextWithTokenAndRelativeCaFile) {
  write("sub/ca.pem", "CA-PEM");
  const std::string path = write("config", kTwoContexts);
  auto cfg = loadKubeconfig({path}, "", clock_);
  ASSERT_TRUE(cfg.isOk()) << cfg.status().toString();
  EXPECT_EQ(cfg->server, "https://dev.example:6443");
  EXPECT_EQ(cfg->ca_pem, "CA-PEM");
  EXPECT_EQ(cfg->tls_server_name, "api.internal");
  EXPECT_FALSE(cfg->insecure_skip_tls_verify);
  EXPECT_EQ(cfg->default_namespace, "ml");
  ASSERT_NE(cfg->token, nullptr);
  EXPECT_EQ(*cfg->token->token(), "dev-token");
}

TEST_F(KubeConfigTest, ContextOverrideWithTokenFileReReadAfterAMinute) {
  write("sub/token", "first\n");
  const std::string path = write("config", kTwoContexts);
  auto cfg = loadKubeconfig({path}, "prod", clock_);
  ASSERT_TRUE(cfg.isOk()) << cfg.status().toString();
  EXPECT_TRUE(cfg->insecure_skip_tls_verify);
  EXPECT_EQ(cfg->default_namespace, "default");
  EXPECT_EQ(*cfg->token->token(), "first");
  write("sub/token", "second\n");
  clock_.advance(std::chrono::seconds(30));
  EXPECT_EQ(*cfg->token->token(), "first") << "re-read too early";
  clock_.advance(std::chrono::seconds(31));
  EXPECT_EQ(*cfg->token->token(), "second");
}

TEST_F(KubeConfigTest, UnknownContextIsNotFound) {
  const std::string path = write("config", kTwoContexts);
  auto cfg = loadKubeconfig({path}, "staging", clock_);
  ASSERT_FALSE(cfg.isOk());
  EXPECT_EQ(cfg.status().code(), StatusCode::kNotFound);
}

TEST_F(KubeConfigTest, ClientCertificateDataAndCaDataAreBase64) {
  const std::string path =
      write("config",
            "current-context: c\n"
            "clusters: [{name: k, cluster: {server: 'https://h:1', certificate-authority-data: " +
                base64Encode("CA") +
                "}}]\n"
                "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
                "users: [{name: u, user: {client-certificate-data: " +
                base64Encode("CERT") + ", client-key-data: " + base64Encode("KEY") + "}}]\n");
  auto cfg = loadKubeconfig({path}, "", clock_);
  ASSERT_TRUE(cfg.isOk()) << cfg.status().toString();
  EXPECT_EQ(cfg->ca_pem, "CA");
  EXPECT_EQ(cfg->client_certificate_pem, "CERT");
  EXPECT_EQ(cfg->client_key_pem, "KEY");
  EXPECT_EQ(cfg->token, nullptr);
}

TEST_F(KubeConfigTest, ClientCertificateFilesResolveRelativeToKubeconfig) {
  write("sub/client.crt", "CERTFILE");
  write("sub/client.key", "KEYFILE");
  const std::string path =
      write("sub/config",
            "current-context: c\n"
            "clusters: [{name: k, cluster: {server: 'https://h:1'}}]\n"
            "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
            "users: [{name: u, user: {client-certificate: client.crt, client-key: client.key}}]\n");
  auto cfg = loadKubeconfig({path}, "", clock_);
  ASSERT_TRUE(cfg.isOk()) << cfg.status().toString();
  EXPECT_EQ(cfg->client_certificate_pem, "CERTFILE");
  EXPECT_EQ(cfg->client_key_pem, "KEYFILE");
}

TEST_F(KubeConfigTest, CertificateWithoutKeyIsInvalid) {
  const std::string path = write("config",
                                 "current-context: c\n"
                                 "clusters: [{name: k, cluster: {server: 'https://h:1'}}]\n"
                                 "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
                                 "users: [{name: u, user: {client-certificate-data: " +
                                     base64Encode("CERT") + "}}]\n");
  auto cfg = loadKubeconfig({path}, "", clock_);
  ASSERT_FALSE(cfg.isOk());
  EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(KubeConfigTest, ExecPluginTokenWithArgsEnvAndExpiry) {
  // The plugin echoes its arg and env into the token so the test sees both were passed, and
  // counts its runs in a file so caching is observable.
  write("sub/plugin.sh",
        "#!/bin/sh\n"
        "echo run >> \"$(dirname \"$0\")/runs\"\n"
        "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; *) exit 3;; esac\n"
        "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
        "\"status\":{\"token\":\"%s-%s\",\"expirationTimestamp\":\"2027-01-15T10:00:00Z\"}}' "
        "\"$1\" \"$PLUGIN_SUFFIX\"\n",
        true);
  const std::string path = write(
      "config",
      "current-context: c\n"
      "clusters: [{name: k, cluster: {server: 'https://h:1'}}]\n"
      "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
      "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
      "      command: ./sub/plugin.sh\n      args: [tok]\n"
      "      env: [{name: PLUGIN_SUFFIX, value: abc}]\n");
  clock_.setNow(*parseRfc3339("2027-01-15T08:30:00Z"));
  auto cfg = loadKubeconfig({path}, "", clock_);
  ASSERT_TRUE(cfg.isOk()) << cfg.status().toString();
  ASSERT_NE(cfg->token, nullptr);
  EXPECT_EQ(*cfg->token->token(), "tok-abc");
  EXPECT_EQ(*cfg->token->token(), "tok-abc");
  auto runs = [&] {
    std::ifstream in(dir_ / "sub/runs");
    return std::count(std::istreambuf_iterator<char>(in), {}, '\n');
  };
  EXPECT_EQ(runs(), 1) << "token must be cached until near expiry";
  clock_.setNow(*parseRfc3339("2027-01-15T09:59:55Z"));
  EXPECT_EQ(*cfg->token->token(), "tok-abc");
  EXPECT_EQ(runs(), 2) << "token near expiry must be refreshed by re-running the plugin";
}

TEST_F(KubeConfigTest, ExecPluginClientCertificate) {
  write("plugin.sh",
        "#!/bin/sh\nprintf '{\"kind\":\"ExecCredential\",\"status\":"
        "{\"clientCertificateData\":\"C\",\"clientKeyData\":\"K\"}}'\n",
        true);
  const std::string path = write("config",
                                 "current-context: c\n"
                                 "clusters: [{name: k, cluster: {server: 'https://h:1'}}]\n"
                                 "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
                                 "users: [{name: u, user: {exec: {command: ./plugin.sh}}}]\n");
  auto cfg = loadKubeconfig({path}, "", clock_);
  ASSERT_TRUE(cfg.isOk()) << cfg.status().toString();
  EXPECT_EQ(cfg->client_certificate_pem, "C");
  EXPECT_EQ(cfg->client_key_pem, "K");
  EXPECT_EQ(cfg->token, nullptr);
}

TEST_F(KubeConfigTest, FailingExecPluginIsAnError) {
  write("plugin.sh", "#!/bin/sh\necho nope >&2\nexit 1\n", true);
  const std::string path = write("config",
                                 "current-context: c\n"
                                 "clusters: [{name: k, cluster: {server: 'https://h:1'}}]\n"
                                 "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
                                 "users: [{name: u, user: {exec: {command: ./plugin.sh}}}]\n");
  auto cfg = loadKubeconfig({path}, "", clock_);
  ASSERT_FALSE(cfg.isOk());
  EXPECT_NE(cfg.status().message().find("plugin"), std::string::npos);
}

TEST_F(KubeConfigTest, KubeconfigListMergesFirstWins) {
  const std::string a = write("a",
                              "current-context: one\n"
                              "clusters: [{name: k, cluster: {server: 'https://first:1'}}]\n"
                              "contexts: [{name: one, context: {cluster: k}}]\n");
  const std::string b = write("b",
                              "current-context: two\n"
                              "clusters: [{name: k, cluster: {server: 'https://second:1'}}, "
                              "{name: k2, cluster: {server: 'https://k2:1'}}]\n"
                              "contexts: [{name: two, context: {cluster: k2}}]\n");
  auto cfg = loadClusterConfig(
      "", "", env({{"KUBECONFIG", a + ":" + (dir_ / "missing").string() + ":" + b}}), clock_);
  ASSERT_TRUE(cfg.isOk()) << cfg.status().toString();
  EXPECT_EQ(cfg->server, "https://first:1");
  auto two = loadClusterConfig("", "two", env({{"KUBECONFIG", a + ":" + b}}), clock_);
  ASSERT_TRUE(two.isOk());
  EXPECT_EQ(two->server, "https://k2:1");
  // An explicit flag beats $KUBECONFIG.
  auto flag = loadClusterConfig(b, "", env({{"KUBECONFIG", a}}), clock_);
  ASSERT_TRUE(flag.isOk());
  EXPECT_EQ(flag->server, "https://k2:1");
}

TEST_F(KubeConfigTest, InClusterWithIpv6HostTokenRotationAndNamespace) {
  write("sub/token", "sa-token-1");
  write("sub/ca.crt", "SA-CA");
  write("sub/namespace", "operators\n");
  auto e = env({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  auto cfg = loadInClusterConfig(e, clock_, (dir_ / "sub").string());
  ASSERT_TRUE(cfg.isOk()) << cfg.status().toString();
  EXPECT_EQ(cfg->server, "https://[fd00::1]:443");
  EXPECT_EQ(cfg->ca_pem, "SA-CA");
  EXPECT_EQ(cfg->default_namespace, "operators");
  EXPECT_EQ(*cfg->token->token(), "sa-token-1");
  write("sub/token", "sa-token-2");
  clock_.advance(std::chrono::seconds(61));
  EXPECT_EQ(*cfg->token->token(), "sa-token-2");

  auto v4 = loadInClusterConfig(
      env({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "6443"}}), clock_,
      (dir_ / "sub").string());
  ASSERT_TRUE(v4.isOk());
  EXPECT_EQ(v4->server, "https://10.0.0.1:6443");
  EXPECT_FALSE(loadInClusterConfig(env({}), clock_, (dir_ / "sub").string()).isOk());
}

TEST_F(KubeConfigTest, HomeKubeconfigIsTheLastResort) {
  fs::create_directories(dir_ / ".kube");
  write(".kube/config",
        "current-context: c\nclusters: [{name: k, cluster: {server: 'https://home:1'}}]\n"
        "contexts: [{name: c, context: {cluster: k}}]\n");
  auto cfg = loadClusterConfig("", "", env({{"HOME", dir_.string()}}), clock_);
  ASSERT_TRUE(cfg.isOk()) << cfg.status().toString();
  EXPECT_EQ(cfg->server, "https://home:1");
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(*base64Decode(base64Encode(s)), s);
  }
  EXPECT_EQ(*base64Decode("aGVs\nbG8="), "hello");
  EXPECT_FALSE(base64Decode("a$b").isOk());
}

}  // namespace
}  // namespace mr::k8s

namespace mr::k8s {
namespace {

TEST(KubeConfigProxyTest, ClusterProxyUrlIsKeptNotIgnored) {
  // Issue 15: the old client silently ignored a cluster's `proxy-url`.
  const fs::path dir = fs::temp_directory_path() / ("mr-kc-proxy-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "config").string();
  std::ofstream(path) << "current-context: c\n"
                         "clusters: [{name: k, cluster: {server: 'https://h:1', proxy-url: "
                         "'socks5://proxy.corp:1080'}}]\n"
                         "contexts: [{name: c, context: {cluster: k}}]\n";
  testing::TestClock clock;
  auto cfg = loadKubeconfig({path}, "", clock);
  fs::remove_all(dir);
  ASSERT_TRUE(cfg.isOk()) << cfg.status().toString();
  EXPECT_EQ(cfg->proxy_url, "socks5://proxy.corp:1080");
}

}  // namespace
}  // namespace mr::k8s
