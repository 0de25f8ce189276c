// ServiceAccount tokens as the TokenRequest API (POST .../serviceaccounts/NAME/token) issues
// them: a JWT whose claims name the ServiceAccount (sub system:serviceaccount:NS:NAME, the
// kubernetes.io claim with namespace and serviceaccount name/uid), audiences (default the API
// server's own, https://kubernetes.default.svc.cluster.local), iat/nbf/exp. Signed with
// HMAC-SHA256 under a key drawn at start, so tokens are valid only for this server process.
// verify() checks signature, expiry and audience; the caller then checks, as kube-apiserver
// does, that the ServiceAccount still exists with the same uid.
// Thread-safety: immutable after construction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace mr::apiserver {

inline const char* kApiAudience = "https://kubernetes.default.svc.cluster.local";

struct ServiceAccountToken {
  std::string ns, name, uid;
  std::vector<std::string> audiences;
  SystemTime expires{};
};

class ServiceAccountTokens {
 public:
  ServiceAccountTokens();
  std::string issue(const ServiceAccountToken& claims, SystemTime now) const;
  // nullopt when the token is not ours, is malformed, has expired or is not for the API.
  std::optional<ServiceAccountToken> verify(const std::string& token, SystemTime now) const;

 private:
  std::string sign(const std::string& data) const;
  std::string key_;
};

}  // namespace mr::apiserver
