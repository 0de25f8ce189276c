// kubectl's connection flags over a kubeconfig (plugin/connection_flags.h) and --cluster/--user
// (k8s::KubeconfigOverrides), as client-go's clientcmd applies them.
#include "plugin/connection_flags.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/fake_clock.h"
#include "k8s/credentials.h"

namespace mr::plugin {
namespace {

namespace fs = std::filesystem;

k8s::ClusterConfig kubeconfigCluster() {
  k8s::ClusterConfig config;
  config.server = "https://kube.example:6443";
  config.ca_pem = "KUBECONFIG CA";
  config.token = k8s::makeStaticTokenSource("kubeconfig-token");
  config.default_namespace = "team";
  return config;
}

Result<std::string> noFiles(const std::string& path) {
  return notFound("no file " + path);
}

TEST(ConnectionFlagsTest, NoFlagsKeepTheKubeconfig) {
  auto config = applyConnectionFlags(kubeconfigCluster(), ConnectionFlags{}, noFiles);
  ASSERT_TRUE(config.isOk());
  EXPECT_EQ(config->server, "https://kube.example:6443");
  EXPECT_EQ(config->ca_pem, "KUBECONFIG CA");
  EXPECT_EQ(*config->token->token(), "kubeconfig-token");
  EXPECT_EQ(config->default_namespace, "team");
}

TEST(ConnectionFlagsTest, ServerTokenAndCaFlagsReplaceTheKubeconfigs) {
  ConnectionFlags flags;
  flags.server = "https://10.0.0.1:6443/";
  flags.token = "flag-token";
  flags.certificate_authority = "/etc/ca.pem";
  flags.tls_server_name = "api.internal";
  auto config = applyConnectionFlags(kubeconfigCluster(), flags, [](const std::string& path) {
    return Result<std::string>("PEM FROM " + path);
  });
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server, "https://10.0.0.1:6443");
  EXPECT_EQ(*config->token->token(), "flag-token");
  EXPECT_EQ(config->ca_pem, "PEM FROM /etc/ca.pem");
  EXPECT_EQ(config->tls_server_name, "api.internal");
  EXPECT_EQ(config->default_namespace, "team");
}

TEST(ConnectionFlagsTest, ServerFlagWorksWithoutAnyKubeconfig) {
  ConnectionFlags flags;
  flags.server = "127.0.0.1:6443";  // kubectl accepts host:port and assumes https
  flags.insecure_skip_tls_verify = true;
  auto config = applyConnectionFlags(notFound("no kubeconfig"), flags, noFiles);
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->default_namespace, "default");
  EXPECT_EQ(config->token, nullptr);
}

TEST(ConnectionFlagsTest, WithoutServerAKubeconfigErrorStays) {
  auto config = applyConnectionFlags(notFound("no kubeconfig"), ConnectionFlags{}, noFiles);
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().message(), "no kubeconfig");
}

TEST(ConnectionFlagsTest, InsecureDropsTheKubeconfigCaAndRefusesACaFlag) {
  ConnectionFlags flags;
  flags.insecure_skip_tls_verify = true;
  auto config = applyConnectionFlags(kubeconfigCluster(), flags, noFiles);
  ASSERT_TRUE(config.isOk());
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->ca_pem, "");
  flags.certificate_authority = "/etc/ca.pem";
  EXPECT_FALSE(applyConnectionFlags(kubeconfigCluster(), flags, noFiles).isOk());
}

TEST(ConnectionFlagsTest, UnreadableCaFileIsAnError) {
  ConnectionFlags flags;
  flags.certificate_authority = "/nope/ca.pem";
  auto config = applyConnectionFlags(kubeconfigCluster(), flags, noFiles);
  ASSERT_FALSE(config.isOk());
  EXPECT_NE(config.status().message().find("--certificate-authority"), std::string::npos);
}

TEST(ConnectionFlagsTest, RequestTimeoutZeroMeansNoTimeout) {
  ConnectionFlags flags;
  EXPECT_EQ(requestTimeout(flags, Millis(15000)), Millis(15000));
  flags.request_timeout = Millis(2500);
  EXPECT_EQ(requestTimeout(flags, Millis(15000)), Millis(2500));
  flags.request_timeout = Millis(0);
  EXPECT_GE(requestTimeout(flags, Millis(15000)), Millis(3600 * 1000));
}

TEST(ConnectionFlagsTest, ClusterAndUserFlagsPickOtherKubeconfigEntries) {
  const fs::path file =
      fs::temp_directory_path() / ("mr-plugin-kubeconfig-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(file) << R"(apiVersion: v1
kind: Config
current-context: dev
contexts:
  - name: dev
    context: {cluster: dev-cluster, user: dev-user, namespace: ml}
clusters:
  - name: dev-cluster
    cluster: {server: "https://dev.example:6443", insecure-skip-tls-verify: true}
  - name: prod-cluster
    cluster: {server: "https://prod.example:6443", insecure-skip-tls-verify: true}
users:
  - name: dev-user
    user: {token: dev-token}
  - name: oncall
    user: {token: oncall-token}
)";
  FakeClock clock;
  auto plain = k8s::loadKubeconfig({file.string()}, "", clock);
  ASSERT_TRUE(plain.isOk()) << plain.status().toString();
  EXPECT_EQ(plain->server, "https://dev.example:6443");
  EXPECT_EQ(*plain->token->token(), "dev-token");
  auto overridden = k8s::loadKubeconfig({file.string()}, "", clock, {"prod-cluster", "oncall"});
  ASSERT_TRUE(overridden.isOk()) << overridden.status().toString();
  EXPECT_EQ(overridden->server, "https://prod.example:6443");
  EXPECT_EQ(*overridden->token->token(), "oncall-token");
  EXPECT_EQ(overridden->default_namespace, "ml");  // the context's namespace still applies
  auto missing = k8s::loadKubeconfig({file.string()}, "", clock, {"nope", ""});
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().message(), "cluster \"nope\" not found");
  fs::remove(file);
}

}  // namespace
}  // namespace mr::plugin
