#include "authz_log.h"

namespace mr::apiserver {

using json = nlohmann::json;

void AuthzLog::record(const UserInfo& user, const AuthzAttributes& a, const Decision& d) {
  Key key = a.resource_request ? Key{a.verb, a.api_group, a.resource, a.subresource, a.ns, ""}
                               : Key{a.verb, "", "", "", "", a.path};
  std::lock_guard lock(mu_);
  PerUser& u = users_[user.name];
  u.groups = user.groups;
  Entry& e = u.entries[key];
  if (d.allowed) {
    ++e.allowed;
    e.grants.insert(d.grants.begin(), d.grants.end());
  } else {
    ++e.denied;
  }
}

json AuthzLog::snapshot(const std::string& user) const {
  std::lock_guard lock(mu_);
  json users = json::object();
  for (const auto& [name, u] : users_) {
    if (!user.empty() && name != user) continue;
    json requests = json::array();
    for (const auto& [k, e] : u.entries) {
      const auto& [verb, group, resource, sub, ns, path] = k;
      json grants = json::array();
      for (const auto& g : e.grants)
        grants.push_back({{"binding", g.binding}, {"role", g.role}, {"rule", g.rule}});
      json item = {
          {"verb", verb}, {"allowed", e.allowed}, {"denied", e.denied}, {"grantedBy", grants}};
      if (path.empty()) {
        item["apiGroup"] = group;
        item["resource"] = resource;
        item["subresource"] = sub;
        item["namespace"] = ns;
      } else {
        item["nonResourceURL"] = path;
      }
      requests.push_back(std::move(item));
    }
    users[name] = {{"groups", u.groups}, {"requests", requests}};
  }
  return {{"users", users}};
}

void AuthzLog::clear() {
  std::lock_guard lock(mu_);
  users_.clear();
}

}  // namespace mr::apiserver
