#include "k8s/transport_setup.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace mr::k8s {
namespace {

bool isLoopback(std::string host) {
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    static const in6_addr kLoopback = IN6ADDR_LOOPBACK_INIT;
    return std::equal(v6.s6_addr, v6.s6_addr + 16, kLoopback.s6_addr);
  }
  return false;
}

std::string firstSet(const EnvLookup& env, const char* upper, const char* lower) {
  if (!env) return "";
  if (auto v = env(upper); v && !v->empty()) return *v;
  if (auto v = env(lower); v && !v->empty()) return *v;
  return "";
}

int countCertificates(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    ++count;
    X509_free(cert);
  }
  BIO_free(bio);
  ERR_clear_error();
  return count;
}

Status checkClientPair(const std::string& cert_pem, const std::string& key_pem) {
  BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!leaf) {
    ERR_clear_error();
    return invalidArgument("client certificate data holds no usable PEM certificate");
  }
  bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  const bool ok = key != nullptr && X509_check_private_key(leaf, key) == 1;
  EVP_PKEY_free(key);
  X509_free(leaf);
  ERR_clear_error();
  if (!ok) {
    return invalidArgument("client key data holds no PEM private key matching the certificate");
  }
  return Status::ok();
}

}  // namespace

Result<ServerEndpoint> parseServerUrl(const std::string& server) {
  ServerEndpoint ep;
  std::string rest;
  if (server.rfind("https://", 0) == 0) {
    ep.tls = true;
    rest = server.substr(8);
  } else if (server.rfind("http://", 0) == 0) {
    rest = server.substr(7);
  } else {
    return invalidArgument("server must be an http(s) URL, got '" + server + "'");
  }
  for (unsigned char c : server) {
    if (c <= 0x20 || c == 0x7f) return invalidArgument("server URL contains a control character");
  }
  const size_t slash = rest.find_first_of("/?#");
  if (slash != std::string::npos) {
    if (rest[slash] != '/') return invalidArgument("server URL has a query or fragment");
    ep.path_prefix = rest.substr(slash);
    while (!ep.path_prefix.empty() && ep.path_prefix.back() == '/')
      ep.path_prefix.pop_back();
    rest.resize(slash);
  }
  if (rest.find('@') != std::string::npos) {
    return invalidArgument("server URL must not contain user info");
  }
  ep.authority = rest;
  std::string port;
  if (!rest.empty() && rest[0] == '[') {  // [v6]:port
    const size_t close = rest.find(']');
    if (close == std::string::npos) return invalidArgument("bad IPv6 server address " + rest);
    ep.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else {
    const size_t colon = rest.rfind(':');
    ep.host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  if (ep.host.empty()) return invalidArgument("server URL has no host: " + server);
  if (!std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return invalidArgument("server URL has a bad port: " + server);
  }
  ep.port = port.empty() ? (ep.tls ? "443" : "80") : port;
  ep.base = (ep.tls ? "https://" : "http://") + ep.authority + ep.path_prefix;
  return ep;
}

ProxyChoice chooseProxy(const ServerEndpoint& endpoint, const std::string& proxy_url,
                        const EnvLookup& env) {
  if (!proxy_url.empty()) return {proxy_url, ""};  // client-go: no NO_PROXY for proxy-url
  if (isLoopback(endpoint.host)) return {};        // Go's ProxyFromEnvironment
  ProxyChoice choice;
  choice.proxy = endpoint.tls ? firstSet(env, "HTTPS_PROXY", "https_proxy")
                              : firstSet(env, "HTTP_PROXY", "http_proxy");
  if (!choice.proxy.empty()) choice.no_proxy = firstSet(env, "NO_PROXY", "no_proxy");
  return choice;
}

Status validateTlsConfig(const ClusterConfig& config) {
  if (config.insecure_skip_tls_verify && !config.ca_pem.empty()) {
    // client-go: "specifying a root certificates file with the insecure flag is not allowed".
    return invalidArgument(
        "insecure-skip-tls-verify is set together with a certificate authority; client-go "
        "refuses this combination (it would silently disable verification): remove one");
  }
  if (!config.ca_pem.empty() && countCertificates(config.ca_pem) == 0) {
    return invalidArgument("certificate authority data holds no PEM certificate");
  }
  if (config.client_certificate_pem.empty() != config.client_key_pem.empty()) {
    return invalidArgument("client certificate and key must be given together");
  }
  if (!config.client_certificate_pem.empty()) {
    return checkClientPair(config.client_certificate_pem, config.client_key_pem);
  }
  return Status::ok();
}

Status validateHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return invalidArgument("empty header name");
  for (unsigned char c : name) {
    if (c <= 0x20 || c >= 0x7f || c == ':') {
      return invalidArgument("header name '" + std::string(name.substr(0, 64)) +
                             "' contains a character that is not allowed in a name");
    }
  }
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      return invalidArgument("value of header " + std::string(name) +
                             " contains the control character " + hex + " (refused, not sent)");
    }
  }
  return Status::ok();
}

Status validateHeaders(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    if (Status s = validateHeader(name, value); !s.isOk()) return s;
  }
  return Status::ok();
}

}  // namespace mr::k8s
