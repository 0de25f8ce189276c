#include "controller/controller_flags.h"

#include <gtest/gtest.h>

#include "controller/controller_metrics.h"
#include "controller/probe_server.h"
#include "process_util.h"

namespace mr::controller {
namespace {

TEST(ControllerFlags, DefaultsMatchTheDocumentedOnes) {
  auto f = parseFlags({});
  ASSERT_TRUE(f.isOk());
  EXPECT_EQ(f->metrics_bind_address, ":8080");
  EXPECT_EQ(f->health_probe_bind_address, ":8081");
  EXPECT_EQ(f->workers, 8);
  EXPECT_FALSE(f->leader_elect);
  EXPECT_EQ(f->ns, "");
  EXPECT_EQ(f->log_format, "json");
}

TEST(ControllerFlags, ParsesBothValueFormsAndBareBooleans) {
  auto f =
      parseFlags({"--kubeconfig=/k", "--context", "dev", "--namespace", "ml", "--workers=4",
                  "--leader-elect", "--leader-election-namespace=ops", "--leader-election-id",
                  "lock", "--metrics-bind-address", "0", "--health-probe-bind-address=127.0.0.1:9",
                  "--log-format", "text", "--log-level=debug"});
  ASSERT_TRUE(f.isOk()) << f.status().toString();
  EXPECT_EQ(f->kubeconfig, "/k");
  EXPECT_EQ(f->context, "dev");
  EXPECT_EQ(f->ns, "ml");
  EXPECT_EQ(f->workers, 4);
  EXPECT_TRUE(f->leader_elect);
  EXPECT_EQ(f->leader_election_namespace, "ops");
  EXPECT_EQ(f->leader_election_id, "lock");
  EXPECT_EQ(f->metrics_bind_address, "0");
  EXPECT_EQ(f->health_probe_bind_address, "127.0.0.1:9");
  EXPECT_EQ(f->log_format, "text");
  EXPECT_EQ(f->log_level, "debug");
  EXPECT_FALSE(parseFlags({"--leader-elect=false"})->leader_elect);
}

TEST(ControllerFlags, LeaderElectionTimings) {
  auto f = parseFlags({"--leader-elect-lease-duration=3s", "--leader-elect-renew-deadline", "2s",
                       "--leader-elect-retry-period=500ms"});
  ASSERT_TRUE(f.isOk()) << f.status().toString();
  EXPECT_EQ(f->lease_duration, std::chrono::milliseconds(3000));
  EXPECT_EQ(f->renew_deadline, std::chrono::milliseconds(2000));
  EXPECT_EQ(f->retry_period, std::chrono::milliseconds(500));
  EXPECT_EQ(parseFlags({})->lease_duration, std::chrono::milliseconds(15000));
  EXPECT_FALSE(parseFlags({"--leader-elect-renew-deadline=soon"}).isOk());
}

TEST(ControllerFlags, RejectsBadInput) {
  EXPECT_FALSE(parseFlags({"--workers=0"}).isOk());
  EXPECT_FALSE(parseFlags({"--workers", "two"}).isOk());
  EXPECT_FALSE(parseFlags({"--log-format=xml"}).isOk());
  EXPECT_FALSE(parseFlags({"--nope"}).isOk());
  EXPECT_FALSE(parseFlags({"--context"}).isOk());
  EXPECT_FALSE(parseFlags({"stray"}).isOk());
  EXPECT_FALSE(parseFlags({"--leader-elect=maybe"}).isOk());
}

// Issue 15: any address was queried; the platform now declares which ones rollouts may use.
TEST(ControllerFlags, AllowedPrometheusAddressesDefaultToTheInClusterPrometheus) {
  auto f = parseFlags({});
  ASSERT_TRUE(f.isOk());
  EXPECT_EQ(f->allowed_prometheus_addresses,
            std::vector<std::string>{"http://prometheus.monitoring:9090"});
  EXPECT_EQ(f->prometheus_max_body_bytes, 8u << 20);
  EXPECT_EQ(f->prometheus_max_timeout, std::chrono::seconds(60));
}

TEST(ControllerFlags, AllowedPrometheusAddressesParseAList) {
  auto f = parseFlags({"--allowed-prometheus-addresses",
                       "https://thanos.obs:10902/tenant-a, http://prometheus.monitoring:9090,"});
  ASSERT_TRUE(f.isOk()) << f.status().toString();
  EXPECT_EQ(f->allowed_prometheus_addresses,
            (std::vector<std::string>{"https://thanos.obs:10902/tenant-a",
                                      "http://prometheus.monitoring:9090"}));
  auto none = parseFlags({"--allowed-prometheus-addresses="});
  ASSERT_TRUE(none.isOk());
  EXPECT_TRUE(none->allowed_prometheus_addresses.empty()) << "empty allows nothing";
  auto caps = parseFlags({"--prometheus-max-body-bytes=1048576", "--prometheus-max-timeout=30s"});
  ASSERT_TRUE(caps.isOk()) << caps.status().toString();
  EXPECT_EQ(caps->prometheus_max_body_bytes, 1048576u);
  EXPECT_EQ(caps->prometheus_max_timeout, std::chrono::seconds(30));
}

TEST(ControllerFlags, AllowedPrometheusAddressesRejectUserInfoWithoutRepeatingIt) {
  auto f = parseFlags({"--allowed-prometheus-addresses=http://admin:pw1234@prom:9090"});
  ASSERT_FALSE(f.isOk());
  EXPECT_EQ(f.status().message().find("pw1234"), std::string::npos) << f.status().message();
  EXPECT_NE(f.status().message().find("--allowed-prometheus-addresses"), std::string::npos);
  EXPECT_FALSE(parseFlags({"--allowed-prometheus-addresses=prom:9090"}).isOk());
  EXPECT_FALSE(parseFlags({"--allowed-prometheus-addresses=http://p/x?y=1"}).isOk());
  EXPECT_FALSE(parseFlags({"--prometheus-max-body-bytes=12"}).isOk());
  EXPECT_FALSE(parseFlags({"--prometheus-max-body-bytes=lots"}).isOk());
  EXPECT_FALSE(parseFlags({"--prometheus-max-timeout=10ms"}).isOk());
}

TEST(ControllerFlags, HelpListsEveryFlag) {
  const std::string help = helpText("modelrollout-controller");
  for (const char* flag : {"--kubeconfig", "--context", "--namespace", "--workers",
                           "--leader-elect", "--leader-election-namespace", "--leader-election-id",
                           "--metrics-bind-address", "--health-probe-bind-address", "--log-format",
                           "--log-level", "--allowed-prometheus-addresses",
                           "--prometheus-max-body-bytes", "--prometheus-max-timeout", "--help"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  EXPECT_TRUE(parseFlags({"--help"})->help);
}

TEST(ProbeServer, ServesRegisteredPathsOnEphemeralPort) {
  ProbeServer server;
  bool ready = false;
  server.handle("/healthz", [] { return ProbeResponse{200, "ok\n"}; });
  server.handle("/readyz", [&] {
    return ready ? ProbeResponse{200, "ok\n"} : ProbeResponse{503, "no\n"};
  });
  ASSERT_TRUE(server.start("127.0.0.1:0").isOk());
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(k8s::testing::httpGet(server.port(), "/healthz").body, "ok\n");
  EXPECT_EQ(k8s::testing::httpGet(server.port(), "/readyz").code, 503);
  ready = true;
  EXPECT_EQ(k8s::testing::httpGet(server.port(), "/readyz?verbose").code, 200);
  EXPECT_EQ(k8s::testing::httpGet(server.port(), "/other").code, 404);
  server.stop();
  EXPECT_EQ(k8s::testing::httpGet(server.port(), "/healthz").code, 0);
  ProbeServer bad;
  EXPECT_FALSE(bad.start("no-port").isOk());
}

TEST(ControllerMetrics, RendersCountersByLabel) {
  ControllerMetrics metrics;
  metrics.observeReconcile("success", 0.002);
  metrics.observeReconcile("error", 0.5);
  metrics.observeApiRequest("list", 200);
  metrics.observeApiRequest("list", 200);
  metrics.observeApiRequest("watch", 0);
  metrics.setQueueDepth(3);
  metrics.setLeader(true);
  const std::string text = metrics.render();
  EXPECT_NE(text.find("modelrollout_reconcile_total{result=\"success\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("modelrollout_reconcile_total{result=\"requeue_after\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("modelrollout_api_requests_total{code=\"200\",verb=\"list\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("modelrollout_api_requests_total{code=\"0\",verb=\"watch\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("modelrollout_reconcile_duration_seconds_count 2"), std::string::npos);
  EXPECT_NE(text.find("modelrollout_workqueue_depth 3"), std::string::npos);
  EXPECT_NE(text.find("modelrollout_leader 1"), std::string::npos);
}

}  // namespace
}  // namespace mr::controller
