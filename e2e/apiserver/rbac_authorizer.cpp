#include "rbac_authorizer.h"

#include <algorithm>
#include <cctype>

namespace mr::apiserver {

using json = nlohmann::json;

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t s = path.find('/', pos);
    if (s == std::string::npos) s = path.size();
    if (s > pos) out.push_back(path.substr(pos, s - pos));
    pos = s + 1;
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string firstParam(const std::multimap<std::string, std::string>& q, const std::string& k) {
  auto it = q.find(k);
  return it == q.end() ? "" : it->second;
}

// The value of an exact `metadata.name=X` / `metadata.name==X` requirement, or "".
std::string nameFromFieldSelector(const std::string& selector) {
  size_t start = 0;
  while (start <= selector.size()) {
    size_t end = selector.find(',', start);
    if (end == std::string::npos) end = selector.size();
    std::string part = selector.substr(start, end - start);
    for (const char* prefix : {"metadata.name==", "metadata.name="}) {
      std::string p = prefix;
      if (part.rfind(p, 0) == 0) {
        std::string v = part.substr(p.size());
        // kube only takes a valid path segment name.
        if (!v.empty() && v != "." && v != ".." && v.find('/') == std::string::npos &&
            v.find('%') == std::string::npos)
          return v;
        return "";
      }
    }
    start = end + 1;
  }
  return "";
}

// The strings of an array field; a field of another type counts as absent.
std::vector<std::string> strings(const json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string str(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

bool UserInfo::inGroup(const std::string& g) const {
  return contains(groups, g);
}

UserInfo serviceAccountUser(const std::string& ns, const std::string& name) {
  return {"system:serviceaccount:" + ns + ":" + name,
          {"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}};
}

AuthzAttributes requestAttributes(const std::string& method, const std::string& path,
                                  const std::multimap<std::string, std::string>& query) {
  AuthzAttributes a;
  a.path = path;
  a.verb = lower(method);
  std::vector<std::string> parts = splitPath(path);
  if (parts.empty() || (parts[0] != "api" && parts[0] != "apis")) return a;
  const bool grouped = parts[0] == "apis";
  const size_t i = grouped ? 3 : 2;
  // /api, /api/v1, /apis, /apis/G, /apis/G/V: discovery, not resources.
  if (parts.size() <= i) return a;
  if (grouped) a.api_group = parts[1];
  a.api_version = parts[i - 1];
  std::vector<std::string> cur(parts.begin() + static_cast<long>(i), parts.end());
  a.resource_request = true;
  if (method == "POST") {
    a.verb = "create";
  } else if (method == "GET" || method == "HEAD") {
    a.verb = "get";
  } else if (method == "PUT") {
    a.verb = "update";
  } else if (method == "PATCH") {
    a.verb = "patch";
  } else if (method == "DELETE") {
    a.verb = "delete";
  } else {
    a.verb = "";
  }
  if (cur[0] == "watch") {  // deprecated /watch/ prefix
    cur.erase(cur.begin());
    a.verb = "watch";
    if (cur.empty()) {
      a.resource_request = false;
      a.verb = lower(method);
      return a;
    }
  }
  if (cur[0] == "namespaces") {
    if (cur.size() > 1) {
      a.ns = cur[1];
      // /namespaces/NS/status and /namespaces/NS/finalize are subresources of the namespace.
      if (cur.size() > 2 && cur[2] != "status" && cur[2] != "finalize")
        cur.erase(cur.begin(), cur.begin() + 2);
    }
  }
  if (cur.size() >= 3) a.subresource = cur[2];
  if (cur.size() >= 2) a.name = cur[1];
  if (!cur.empty()) a.resource = cur[0];
  if (a.name.empty() && a.verb == "get") {
    std::string w = firstParam(query, "watch");
    a.verb = (w == "true" || w == "1") ? "watch" : "list";
    a.name = nameFromFieldSelector(firstParam(query, "fieldSelector"));
  }
  if (a.name.empty() && a.verb == "delete") a.verb = "deletecollection";
  return a;
}

bool ruleAllows(const json& rule, const AuthzAttributes& a) {
  if (!rule.is_object()) return false;
  std::vector<std::string> verbs = strings(rule, "verbs");
  if (!contains(verbs, "*") && !contains(verbs, a.verb)) return false;
  if (!a.resource_request) {
    for (const auto& u : strings(rule, "nonResourceURLs")) {
      if (u == "*" || u == a.path) return true;
      if (!u.empty() && u.back() == '*' && a.path.rfind(u.substr(0, u.size() - 1), 0) == 0)
        return true;
    }
    return false;
  }
  std::vector<std::string> groups = strings(rule, "apiGroups");
  if (!contains(groups, "*") && !contains(groups, a.api_group)) return false;
  std::string combined = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  bool resource_ok = false;
  for (const auto& r : strings(rule, "resources")) {
    if (r == "*" || r == combined) {
      resource_ok = true;
      break;
    }
    if (!a.subresource.empty() && r == "*/" + a.subresource) {
      resource_ok = true;
      break;
    }
  }
  if (!resource_ok) return false;
  std::vector<std::string> names = strings(rule, "resourceNames");
  return names.empty() || contains(names, a.name);
}

bool subjectApplies(const json& subject, const UserInfo& user,
                    const std::string& binding_namespace) {
  std::string kind = str(subject, "kind");
  std::string name = str(subject, "name");
  if (kind == "User") return !name.empty() && name == user.name;
  if (kind == "Group") return !name.empty() && user.inGroup(name);
  if (kind == "ServiceAccount") {
    std::string ns = str(subject, "namespace");
    if (ns.empty()) ns = binding_namespace;
    if (ns.empty() || name.empty()) return false;
    return "system:serviceaccount:" + ns + ":" + name == user.name;
  }
  return false;
}

namespace {

bool bindingApplies(const json& binding, const UserInfo& user, const std::string& binding_ns) {
  auto it = binding.find("subjects");
  if (it == binding.end() || !it->is_array()) return false;
  return std::any_of(it->begin(), it->end(),
                     [&](const json& s) { return subjectApplies(s, user, binding_ns); });
}

// Appends a Grant for every rule of `role` that allows `a`.
void collect(const std::optional<json>& role, const std::string& binding_id,
             const std::string& role_id, const AuthzAttributes& a, Decision& d) {
  if (!role) return;
  auto it = role->find("rules");
  if (it == role->end() || !it->is_array()) return;
  for (size_t i = 0; i < it->size(); ++i) {
    if (ruleAllows((*it)[i], a)) d.grants.push_back({binding_id, role_id, i});
  }
}

std::string bindingName(const json& b) {
  auto md = b.find("metadata");
  return md == b.end() ? "" : str(*md, "name");
}

}  // namespace

Decision authorize(const RbacSource& source, const UserInfo& user, const AuthzAttributes& a) {
  Decision d;
  if (user.inGroup(kMastersGroup)) {
    d.allowed = true;
    return d;
  }
  for (const json& b : source.clusterRoleBindings()) {
    if (!bindingApplies(b, user, "")) continue;
    const json ref = b.value("roleRef", json::object());
    if (str(ref, "kind") != "ClusterRole") continue;
    std::string role = str(ref, "name");
    collect(source.clusterRole(role), "ClusterRoleBinding/" + bindingName(b), "ClusterRole/" + role,
            a, d);
  }
  if (!a.ns.empty()) {
    for (const json& b : source.roleBindings(a.ns)) {
      if (!bindingApplies(b, user, a.ns)) continue;
      const json ref = b.value("roleRef", json::object());
      std::string kind = str(ref, "kind"), role = str(ref, "name");
      std::string id = "RoleBinding/" + a.ns + "/" + bindingName(b);
      if (kind == "ClusterRole") {
        collect(source.clusterRole(role), id, "ClusterRole/" + role, a, d);
      } else if (kind == "Role") {
        collect(source.role(a.ns, role), id, "Role/" + a.ns + "/" + role, a, d);
      }
    }
  }
  d.allowed = !d.grants.empty();
  return d;
}

std::string forbiddenMessage(const UserInfo& user, const AuthzAttributes& a) {
  auto q = [](const std::string& s) { return json(s).dump(); };
  if (!a.resource_request)
    return "User " + q(user.name) + " cannot " + a.verb + " path " + q(a.path);
  std::string resource = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  std::string head = "User " + q(user.name) + " cannot " + a.verb + " resource " + q(resource) +
                     " in API group " + q(a.api_group);
  if (!a.ns.empty()) return head + " in the namespace " + q(a.ns);
  return head + " at the cluster scope";
}

}  // namespace mr::apiserver
