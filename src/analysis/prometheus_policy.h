// PrometheusPolicy: the platform team's rules for the Prometheus addresses that ModelRollouts
// may query and the credentials the controller may send (docs/security.md). A tenant who may
// create ModelRollouts must not be able to make the controller reach any other host, nor send
// a Secret anywhere the Secret's owner did not bind it to.
//  - An address must be http(s), without user info, query or fragment, and match an allow-list
//    entry: same scheme, host (case-insensitive) and port (80/443 when omitted), and the entry's
//    path is a whole-segment prefix of the address's path. An empty allow-list allows nothing.
//  - A Secret named by bearerTokenSecretRef/caSecretRef is used only when its annotation
//    `modelrollout.io/prometheus-address` equals the rollout's address (after normalization).
//  - A bearer token is never sent over plain http.
//  - Bodies and query timeouts are capped (max_body_bytes, max_timeout).
// Error messages never contain user info, passwords or tokens: an address with user info is
// named by its scheme and host only.
// Thread-safety: value types and pure functions.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"

namespace mr::analysis {

// The annotation a Secret carries to opt in to being sent to one Prometheus address.
inline constexpr const char* kSecretAddressAnnotation = "modelrollout.io/prometheus-address";
// The chart's and the CRD's default address (spec.analysis.prometheus.address).
inline constexpr const char* kDefaultPrometheusAddress = "http://prometheus.monitoring:9090";

struct PrometheusPolicy {
  std::vector<std::string> allowed_addresses{kDefaultPrometheusAddress};
  size_t max_body_bytes = 8u << 20;              // larger replies are refused
  std::chrono::milliseconds max_timeout{60000};  // longer spec timeouts are clamped
};

struct PrometheusAddress {
  std::string scheme;  // "http" | "https"
  std::string host;    // lower case; IPv6 without brackets
  int port = 0;        // explicit or the scheme's default
  std::string path;    // without trailing '/', "" for the root
  // "scheme://host:port/path": the form compared for equality.
  std::string canonical() const;
};

// Parses and checks the form (see above). Errors name the address without user info.
Result<PrometheusAddress> parsePrometheusAddress(const std::string& address);

// Parses every entry; an invalid entry is an error naming it (for flag validation).
Result<std::vector<PrometheusAddress>> parseAllowList(const std::vector<std::string>& entries);

// Ok when `address` is well-formed and matches an entry of `allowed`; otherwise
// kInvalidArgument naming the allow-list.
Status checkAddressAllowed(const std::string& address, const std::vector<std::string>& allowed);

// Ok when the Secret object's annotations bind it to `address` (canonical forms equal).
// `what` names the reference in messages ("bearerTokenSecretRef Secret ml/prom-token").
Status checkSecretBinding(const std::string& secret_annotation_value, bool has_annotation,
                          const std::string& address, const std::string& what);

// kInvalidArgument when a token would travel over plain http.
Status checkTokenTransport(const std::string& address, bool has_token);

// The timeout actually used for a spec timeout: at most policy.max_timeout.
std::chrono::milliseconds clampTimeout(std::chrono::milliseconds spec_timeout,
                                       const PrometheusPolicy& policy);

// Joins the allow-list for messages: "[http://a:9090, https://b]".
std::string describeAllowList(const std::vector<std::string>& allowed);

}  // namespace mr::analysis
