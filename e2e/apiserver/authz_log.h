// AuthzLog: which permissions each identity used. Every authorization decision is counted per
// user and per (verb, apiGroup, resource, subresource, namespace) (non-resource requests: per
// verb and path), allowed and denied apart, with every rule that allowed it ("grantedBy": the
// binding, the role and the rule's index, rbac_authorizer.h). Tests compare this with what a
// chart grants (e2e/scenarios/99-least-privilege.sh): a denied count is a missing permission, a
// granted rule that no request used is an unneeded one. Read through
// `GET /admin/authorizations[?user=NAME]`, cleared by DELETE; nothing a client sees changes.
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>

#include "rbac_authorizer.h"

namespace mr::apiserver {

class AuthzLog {
 public:
  void record(const UserInfo& user, const AuthzAttributes& a, const Decision& d);
  // {"users": {NAME: {"groups": [...], "requests": [{verb, apiGroup, resource, subresource,
  //  namespace, nonResourceURL, allowed, denied, grantedBy: [{binding, role, rule}]}]}}}
  // `user` empty = every user.
  nlohmann::json snapshot(const std::string& user = "") const;
  void clear();

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string,
                         std::string>;  // verb, group, resource, subresource, ns, path
  struct Entry {
    uint64_t allowed = 0, denied = 0;
    std::set<Grant> grants;
  };
  struct PerUser {
    std::vector<std::string> groups;
    std::map<Key, Entry> entries;
  };
  mutable std::mutex mu_;
  std::map<std::string, PerUser> users_;
};

}  // namespace mr::apiserver
