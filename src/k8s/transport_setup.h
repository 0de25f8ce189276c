// What the HTTP transport derives from a ClusterConfig before its first request, as pure
// functions so each rule is testable without a socket:
// - the base URL (scheme, authority, path prefix) of the API server;
// - the proxy, with client-go's rules: the cluster's `proxy-url` wins and is used for every
//   request; otherwise HTTPS_PROXY/https_proxy (https servers) or HTTP_PROXY/http_proxy (http
//   servers), never for `localhost` or a loopback IP, and NO_PROXY/no_proxy (host names,
//   domain suffixes, CIDRs such as 10.0.0.0/8, `*`) is handed to libcurl, which matches it;
// - the TLS material, checked up front so a bad certificate fails at startup, and
//   `insecure-skip-tls-verify` together with a CA refused as client-go refuses it;
// - header values: a control character (CR, LF, NUL, any other byte below 0x20 except tab,
//   and 0x7f) in a header name or value would let it forge headers, so it is refused.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "k8s/kube_config.h"

namespace mr::k8s {

struct ServerEndpoint {
  bool tls = false;
  std::string host;         // without brackets
  std::string port;         // "443" when the URL has none
  std::string authority;    // as written in the URL (Host header)
  std::string path_prefix;  // from the URL, without a trailing slash
  std::string base;         // scheme://authority + path_prefix
};

Result<ServerEndpoint> parseServerUrl(const std::string& server);

struct ProxyChoice {
  std::string proxy;     // "" = connect directly
  std::string no_proxy;  // NO_PROXY list for libcurl ("" = none)
};

ProxyChoice chooseProxy(const ServerEndpoint& endpoint, const std::string& proxy_url,
                        const EnvLookup& env);

// Checks the PEM material and the TLS flags of `config` (InvalidArgument on a problem).
Status validateTlsConfig(const ClusterConfig& config);

// InvalidArgument naming the header (never its value) when `name` or `value` holds a
// control character or `name` is not a token.
Status validateHeader(std::string_view name, std::string_view value);
Status validateHeaders(const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace mr::k8s
