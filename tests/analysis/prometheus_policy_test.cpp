// The platform's Prometheus rules (prometheus_policy.h): which addresses the allow-list admits,
// that user info is refused without being repeated, that a Secret is used only for the address
// it names, that a token needs https, and that timeouts are clamped.
#include "analysis/prometheus_policy.h"

#include <gtest/gtest.h>

namespace mr::analysis {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kAllowed = {"http://prometheus.monitoring:9090",
                                           "https://thanos.obs.svc/tenant-a"};

TEST(PrometheusPolicyTest, AllowListMatchesSchemeHostPortAndPathPrefix) {
  for (const char* ok : {"http://prometheus.monitoring:9090", "http://prometheus.monitoring:9090/",
                         "HTTP://Prometheus.Monitoring:9090", "https://thanos.obs.svc:443/tenant-a",
                         "https://thanos.obs.svc/tenant-a/prometheus"}) {
    EXPECT_TRUE(checkAddressAllowed(ok, kAllowed).isOk()) << ok;
  }
  for (const char* bad :
       {"https://prometheus.monitoring:9090",  // other scheme
        "http://prometheus.monitoring:9091",   // other port
        "http://prometheus.monitoring",        // port 80
        "http://prometheus.monitoring.evil.example:9090", "https://thanos.obs.svc/tenant-b",
        "https://thanos.obs.svc/tenant-ab",  // a prefix must end at a path segment
        "https://thanos.obs.svc", "http://169.254.169.254/latest/meta-data"}) {
    EXPECT_FALSE(checkAddressAllowed(bad, kAllowed).isOk()) << bad;
  }
}

TEST(PrometheusPolicyTest, UnlistedAddressIsInvalidNamingTheAllowList) {
  const Status s = checkAddressAllowed("http://10.0.0.7:8080", kAllowed);
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("http://10.0.0.7:8080"), std::string::npos) << s.message();
  const std::string list = "[http://prometheus.monitoring:9090, https://thanos.obs.svc/tenant-a]";
  EXPECT_NE(s.message().find(list), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--allowed-prometheus-addresses"), std::string::npos);
}

TEST(PrometheusPolicyTest, EmptyAllowListAllowsNothing) {
  EXPECT_FALSE(checkAddressAllowed(kDefaultPrometheusAddress, {}).isOk());
  EXPECT_TRUE(
      checkAddressAllowed(kDefaultPrometheusAddress, PrometheusPolicy{}.allowed_addresses).isOk());
}

TEST(PrometheusPolicyTest, UserInfoInAddressIsRejectedWithoutRepeatingIt) {
  const std::vector<std::string> allowed = {"http://prometheus.monitoring:9090"};
  const Status s = checkAddressAllowed("http://admin:hunter2@prometheus.monitoring:9090", allowed);
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("admin"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("user info"), std::string::npos) << s.message();
  // The allow-list itself is validated at startup; even there a password is not repeated.
  auto list = parseAllowList({"http://u:pw@x:1"});
  ASSERT_FALSE(list.isOk());
  EXPECT_EQ(list.status().message().find("pw"), std::string::npos) << list.status().message();
}

TEST(PrometheusPolicyTest, PathPrefixCannotBeEscapedWithDotSegmentsOrEncoding) {
  for (const char* bad :
       {"https://thanos.obs.svc/tenant-a/../tenant-b",
        "https://thanos.obs.svc/tenant-a/%2e%2e/tenant-b", "https://thanos.obs.svc/tenant-a//x",
        "https://thanos.obs.svc/tenant-a?x=1", "https://thanos.obs.svc/tenant-a#f",
        "ftp://thanos.obs.svc/tenant-a", "thanos.obs.svc/tenant-a", "http://:9090",
        "http://h:99999"}) {
    EXPECT_FALSE(checkAddressAllowed(bad, kAllowed).isOk()) << bad;
  }
}

TEST(PrometheusPolicyTest, IPv6HostsAreCompared) {
  const std::vector<std::string> allowed = {"http://[fd00::1]:9090"};
  EXPECT_TRUE(checkAddressAllowed("http://[FD00::1]:9090/", allowed).isOk());
  EXPECT_FALSE(checkAddressAllowed("http://[fd00::2]:9090", allowed).isOk());
}

TEST(PrometheusPolicyTest, SecretIsUsedOnlyForTheAddressItNames) {
  const std::string address = "https://thanos.obs.svc/tenant-a";
  EXPECT_TRUE(
      checkSecretBinding("https://thanos.obs.svc:443/tenant-a/", true, address, "s").isOk());
  const Status missing = checkSecretBinding("", false, address, "bearerTokenSecretRef Secret ml/t");
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.message().find(kSecretAddressAnnotation), std::string::npos);
  EXPECT_NE(missing.message().find("ml/t"), std::string::npos);
  EXPECT_FALSE(checkSecretBinding("https://thanos.obs.svc/tenant-b", true, address, "s").isOk());
  EXPECT_FALSE(checkSecretBinding("https://thanos.obs.svc", true, address, "s").isOk())
      << "a Secret bound to a prefix is not bound to a longer address";
  EXPECT_FALSE(checkSecretBinding("not a url", true, address, "s").isOk());
}

TEST(PrometheusPolicyTest, TokenIsNeverAllowedOverPlainHttp) {
  EXPECT_FALSE(checkTokenTransport("http://prometheus.monitoring:9090", true).isOk());
  EXPECT_TRUE(checkTokenTransport("http://prometheus.monitoring:9090", false).isOk());
  EXPECT_TRUE(checkTokenTransport("https://prometheus.monitoring:9090", true).isOk());
}

TEST(PrometheusPolicyTest, LongTimeoutsAreClamped) {
  PrometheusPolicy p;
  EXPECT_EQ(clampTimeout(10s, p), 10s);
  EXPECT_EQ(clampTimeout(3600s, p), 60s);
  p.max_timeout = 5s;
  EXPECT_EQ(clampTimeout(10s, p), 5s);
}

}  // namespace
}  // namespace mr::analysis
