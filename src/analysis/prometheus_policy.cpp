#include "analysis/prometheus_policy.h"

#include <algorithm>
#include <cctype>

namespace mr::analysis {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool hostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool pathChar(char c) {
  // Unreserved characters and sub-delimiters a URL path may carry unencoded; no '%' (an
  // encoded "." or "/" could step outside an allowed prefix), no spaces or controls.
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("-._~/!$&'()*+,;=:@").find(c) != std::string_view::npos;
}

Status bad(const std::string& shown, const std::string& why) {
  return invalidArgument("Prometheus address \"" + shown + "\" " + why);
}

// The address as messages may show it: scheme and everything after the user info.
std::string redacted(const std::string& address) {
  const size_t scheme_end = address.find("://");
  const size_t at = address.rfind('@');
  if (scheme_end == std::string::npos || at == std::string::npos || at < scheme_end) {
    return address;
  }
  return address.substr(0, scheme_end + 3) + "***@" + address.substr(at + 1);
}

}  // namespace

std::string PrometheusAddress::canonical() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + path;
}

Result<PrometheusAddress> parsePrometheusAddress(const std::string& address) {
  const std::string shown = redacted(address);
  const size_t scheme_end = address.find("://");
  if (scheme_end == std::string::npos) return bad(shown, "is not an http(s) URL");
  PrometheusAddress out;
  out.scheme = lower(address.substr(0, scheme_end));
  if (out.scheme != "http" && out.scheme != "https") {
    return bad(shown, "must use http or https");
  }
  const std::string rest = address.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string::npos) {
    return bad(shown, "must not have a query or fragment");
  }
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string::npos) {
    return bad(shown, "must not contain user info (user:password@); use bearerTokenSecretRef");
  }
  std::string host = authority;
  std::string port;
  if (!host.empty() && host[0] == '[') {
    const size_t close = host.find(']');
    if (close == std::string::npos) return bad(shown, "has an unterminated IPv6 host");
    const std::string after = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad(shown, "has junk after the IPv6 host");
      port = after.substr(1);
    }
    if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      return bad(shown, "has an invalid IPv6 host");
    }
  } else {
    if (const size_t colon = host.rfind(':'); colon != std::string::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), hostChar)) {
      return bad(shown, "has an invalid host");
    }
  }
  out.host = lower(host);
  if (port.empty()) {
    out.port = out.scheme == "https" ? 443 : 80;
  } else {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
      return bad(shown, "has an invalid port");
    }
    out.port = std::stoi(port);
    if (out.port < 1 || out.port > 65535) return bad(shown, "has an invalid port");
  }
  if (!std::all_of(path.begin(), path.end(), pathChar)) {
    return bad(shown, "has characters in its path that are not allowed (percent-encoding, spaces)");
  }
  std::string p = path;
  while (!p.empty() && p.back() == '/')
    p.pop_back();
  // Dot segments and empty segments could make a prefix match mean something else after the
  // server normalizes the path.
  for (size_t i = 0; i < p.size();) {
    const size_t next = p.find('/', i + 1);
    const std::string seg =
        p.substr(i + 1, next == std::string::npos ? std::string::npos : next - i - 1);
    if (seg.empty() || seg == "." || seg == "..") {
      return bad(shown, "has an empty, \".\" or \"..\" path segment");
    }
    if (next == std::string::npos) break;
    i = next;
  }
  out.path = p;
  return out;
}

Result<std::vector<PrometheusAddress>> parseAllowList(const std::vector<std::string>& entries) {
  std::vector<PrometheusAddress> out;
  for (const auto& e : entries) {
    auto parsed = parsePrometheusAddress(e);
    if (!parsed.isOk()) return parsed.status().withContext("allowed Prometheus address");
    out.push_back(std::move(parsed).value());
  }
  return out;
}

std::string describeAllowList(const std::vector<std::string>& allowed) {
  std::string out = "[";
  for (size_t i = 0; i < allowed.size(); ++i) {
    if (i) out += ", ";
    out += redacted(allowed[i]);
  }
  return out + "]";
}

Status checkAddressAllowed(const std::string& address, const std::vector<std::string>& allowed) {
  auto parsed = parsePrometheusAddress(address);
  if (!parsed.isOk()) return parsed.status();
  for (const auto& entry : allowed) {
    auto a = parsePrometheusAddress(entry);
    if (!a.isOk()) continue;  // flags are validated at startup; never match a broken entry
    if (a->scheme != parsed->scheme || a->host != parsed->host || a->port != parsed->port) {
      continue;
    }
    const std::string& prefix = a->path;
    const std::string& path = parsed->path;
    if (path.compare(0, prefix.size(), prefix) == 0 &&
        (path.size() == prefix.size() || path[prefix.size()] == '/')) {
      return Status::ok();
    }
  }
  return invalidArgument("Prometheus address \"" + address +
                         "\" is not allowed by the controller's --allowed-prometheus-addresses " +
                         describeAllowList(allowed) + "; ask the platform team to allow it");
}

Status checkSecretBinding(const std::string& secret_annotation_value, bool has_annotation,
                          const std::string& address, const std::string& what) {
  const std::string how = "; annotate the Secret with " + std::string(kSecretAddressAnnotation) +
                          ": \"" + address + "\" to allow sending it there";
  if (!has_annotation) {
    return invalidArgument(what + " does not opt in to Prometheus use (no " +
                           kSecretAddressAnnotation + " annotation)" + how);
  }
  auto want = parsePrometheusAddress(address);
  auto bound = parsePrometheusAddress(secret_annotation_value);
  if (!want.isOk()) return want.status();
  if (!bound.isOk() || bound->canonical() != want->canonical()) {
    return invalidArgument(what + " is bound to another Prometheus address by its " +
                           kSecretAddressAnnotation + " annotation" + how);
  }
  return Status::ok();
}

Status checkTokenTransport(const std::string& address, bool has_token) {
  if (!has_token) return Status::ok();
  auto parsed = parsePrometheusAddress(address);
  if (!parsed.isOk()) return parsed.status();
  if (parsed->scheme != "https") {
    return invalidArgument(
        "a bearer token is never sent over plain http; use an https "
        "Prometheus address or drop bearerTokenSecretRef");
  }
  return Status::ok();
}

std::chrono::milliseconds clampTimeout(std::chrono::milliseconds spec_timeout,
                                       const PrometheusPolicy& policy) {
  return std::min(spec_timeout, policy.max_timeout);
}

}  // namespace mr::analysis
