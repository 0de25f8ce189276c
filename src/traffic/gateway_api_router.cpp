#include "traffic/gateway_api_router.h"

#include <utility>

#include "common/json_read.h"
#include "traffic/object_update.h"

namespace mr::traffic {
namespace {

using k8s::Json;

// Gateway API defaults: kind Service, group "" (core), namespace of the route, weight 1.
bool refNames(const Json& ref, const std::string& service, const std::string& ns) {
  if (!ref.is_object() || jsonString(ref, "name") != service) return false;
  if (ref.contains("kind") && ref["kind"] != "Service") return false;
  if (ref.contains("group") && ref["group"] != "") return false;
  if (ref.contains("namespace") && ref["namespace"] != ns) return false;
  return true;
}

long long refWeight(const Json& ref) {
  const auto it = ref.find("weight");
  return it != ref.end() && it->is_number_integer() ? it->get<long long>() : 1;
}

struct RuleRefs {
  int stable = -1;  // index into backendRefs, -1 when absent
  int canary = -1;
};

RuleRefs findRefs(const Json& rule, const RouterTarget& target) {
  RuleRefs found;
  const auto refs = rule.find("backendRefs");
  if (refs == rule.end() || !refs->is_array()) return found;
  for (int i = 0; i < static_cast<int>(refs->size()); ++i) {
    const Json& ref = (*refs)[i];
    if (found.stable < 0 && refNames(ref, target.stable_service, target.ns)) found.stable = i;
    if (found.canary < 0 && refNames(ref, target.canary_service, target.ns)) found.canary = i;
  }
  return found;
}

const Json& rulesOf(const Json& route) {
  static const Json kEmpty = Json::array();
  const auto spec = route.find("spec");
  if (spec == route.end() || !spec->is_object()) return kEmpty;
  const auto rules = spec->find("rules");
  return rules != spec->end() && rules->is_array() ? *rules : kEmpty;
}

// The canary percentage of the first rule naming our Services (what readWeight reports).
std::optional<int> weightOf(const Json& route, const RouterTarget& target) {
  for (const Json& rule : rulesOf(route)) {
    const RuleRefs refs = findRefs(rule, target);
    if (refs.stable < 0 && refs.canary < 0) continue;
    const Json& list = rule["backendRefs"];
    const long long stable = refs.stable < 0 ? 0 : refWeight(list[refs.stable]);
    const long long canary = refs.canary < 0 ? 0 : refWeight(list[refs.canary]);
    return weightPercent(stable, canary);
  }
  return std::nullopt;
}

}  // namespace

GatewayApiRouter::GatewayApiRouter(k8s::ApiClient& api, RouterTarget target, std::string http_route)
    : api_(api), target_(std::move(target)), http_route_(std::move(http_route)) {}

std::string GatewayApiRouter::describe() const {
  return "HTTPRoute " + target_.ns + "/" + http_route_;
}

Result<std::optional<int>> GatewayApiRouter::setWeight(int canary_percent) {
  if (canary_percent < 0 || canary_percent > 100) {
    return invalidArgument("canary weight " + std::to_string(canary_percent) +
                           " is outside 0..100");
  }
  auto mutate = [&](Json& route) -> Result<bool> {
    const Json before = route;
    bool matched = false;
    if (route.contains("spec") && route["spec"].contains("rules") &&
        route["spec"]["rules"].is_array()) {
      for (Json& rule : route["spec"]["rules"]) {
        RuleRefs refs = findRefs(rule, target_);
        if (refs.stable < 0 && refs.canary < 0) continue;
        matched = true;
        Json& list = rule["backendRefs"];
        // The missing ref is a copy of its sibling so port, kind, filters... match.
        auto addSibling = [&](int from, const std::string& service) {
          Json copy = list[from];
          copy["name"] = service;
          if (!copy.contains("port") && target_.port > 0) copy["port"] = target_.port;
          list.push_back(std::move(copy));
          return static_cast<int>(list.size()) - 1;
        };
        if (refs.canary < 0) refs.canary = addSibling(refs.stable, target_.canary_service);
        if (refs.stable < 0) refs.stable = addSibling(refs.canary, target_.stable_service);
        list[refs.stable]["weight"] = 100 - canary_percent;
        list[refs.canary]["weight"] = canary_percent;
      }
    }
    if (!matched) {
      return invalidArgument(describe() + " has no rule whose backendRefs name Service " +
                             target_.stable_service + " or " + target_.canary_service);
    }
    return route != before;
  };
  auto stored = updateWithRetry(api_, k8s::resources::httpRoutes(), target_.ns, http_route_, mutate,
                                kMaxConflictRetries, std::exchange(last_seen_, std::nullopt));
  if (!stored.isOk()) return stored.status();
  last_seen_ = *stored;
  return weightOf(*stored, target_);
}

Result<std::optional<int>> GatewayApiRouter::readWeight() {
  auto route = getObject(api_, k8s::resources::httpRoutes(), target_.ns, http_route_);
  if (!route.isOk()) return route.status();
  last_seen_ = *route;
  return weightOf(*route, target_);
}

Status GatewayApiRouter::verify() {
  auto route = getObject(api_, k8s::resources::httpRoutes(), target_.ns, http_route_);
  if (!route.isOk()) return route.status();
  return verifyRoute(*route);
}

Status GatewayApiRouter::verifyLastRead() {
  return last_seen_ ? verifyRoute(*last_seen_) : verify();
}

Status GatewayApiRouter::verifyRoute(const Json& route) const {
  bool stable = false;
  bool canary = false;
  const Json& rules = rulesOf(route);
  for (std::size_t r = 0; r < rules.size(); ++r) {
    const RuleRefs refs = findRefs(rules[r], target_);
    stable = stable || refs.stable >= 0;
    canary = canary || refs.canary >= 0;
    if (refs.stable < 0 && refs.canary < 0) continue;
    // Any other backend with a weight in a rule we split shares its traffic: the canary's
    // real share would not be the step's weight.
    const Json& list = rules[r]["backendRefs"];
    for (int i = 0; i < static_cast<int>(list.size()); ++i) {
      if (i == refs.stable || i == refs.canary || refWeight(list[i]) <= 0) continue;
      return invalidArgument(describe() + " rule " + std::to_string(r + 1) +
                             " also sends traffic to backend " + list[i].value("name", "?") +
                             " (weight " + std::to_string(refWeight(list[i])) + ") beside " +
                             target_.stable_service + " and " + target_.canary_service +
                             ", so the canary's share would not be the step's weight; give it "
                             "weight 0 or move it to a rule of its own");
    }
  }
  if (!stable && !canary) {
    return invalidArgument(describe() + " has no rule whose backendRefs name Service " +
                           target_.stable_service + " or " + target_.canary_service);
  }
  return Status::ok();
}

}  // namespace mr::traffic
