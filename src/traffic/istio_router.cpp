#include "traffic/istio_router.h"

#include <algorithm>
#include <utility>

#include "common/json_read.h"
#include "traffic/object_update.h"

namespace mr::traffic {
namespace {

using k8s::Json;

struct RouteDestinations {
  int stable = -1;  // index into route[], -1 when absent
  int canary = -1;
  bool any() const { return stable >= 0 || canary >= 0; }
};

std::string hostOf(const Json& destination) {
  if (!destination.is_object()) return "";
  const auto dest = destination.find("destination");
  if (dest == destination.end() || !dest->is_object()) return "";
  return jsonString(*dest, "host");
}

RouteDestinations findDestinations(const Json& http_route, const RouterTarget& target) {
  RouteDestinations found;
  const auto route = http_route.find("route");
  if (route == http_route.end() || !route->is_array()) return found;
  for (int i = 0; i < static_cast<int>(route->size()); ++i) {
    const std::string host = hostOf((*route)[i]);
    if (found.stable < 0 && istioHostNames(host, target.stable_service, target.ns)) {
      found.stable = i;
    }
    if (found.canary < 0 && istioHostNames(host, target.canary_service, target.ns)) {
      found.canary = i;
    }
  }
  return found;
}

// Istio: a lone destination without a weight gets all traffic; otherwise a missing weight is 0.
long long destinationWeight(const Json& route, int index) {
  const Json& d = route[index];
  const auto it = d.find("weight");
  if (it != d.end() && it->is_number_integer()) return it->get<long long>();
  return route.size() == 1 ? 100 : 0;
}

const Json& httpRoutesOf(const Json& vs) {
  static const Json kEmpty = Json::array();
  const auto spec = vs.find("spec");
  if (spec == vs.end() || !spec->is_object()) return kEmpty;
  const auto http = spec->find("http");
  return http != spec->end() && http->is_array() ? *http : kEmpty;
}

}  // namespace

bool istioHostNames(const std::string& host, const std::string& service, const std::string& ns) {
  if (host == service) return true;
  const std::string base = service + "." + ns;
  return host == base || host == base + ".svc" || host == base + ".svc.cluster.local";
}

IstioRouter::IstioRouter(k8s::ApiClient& api, RouterTarget target, std::string virtual_service,
                         std::vector<std::string> routes)
    : api_(api),
      target_(std::move(target)),
      virtual_service_(std::move(virtual_service)),
      routes_(std::move(routes)) {}

std::string IstioRouter::describe() const {
  return "VirtualService " + target_.ns + "/" + virtual_service_;
}

Result<std::vector<int>> IstioRouter::selectRoutes(const Json& vs) const {
  const Json& http = httpRoutesOf(vs);
  const std::string ours = target_.stable_service + " or " + target_.canary_service;
  std::vector<int> selected;
  if (routes_.empty()) {
    for (int i = 0; i < static_cast<int>(http.size()); ++i) {
      if (findDestinations(http[i], target_).any()) selected.push_back(i);
    }
    if (selected.empty()) {
      return invalidArgument(describe() + " has no http route with a destination host " + ours);
    }
    return selected;
  }
  for (const std::string& name : routes_) {
    auto it = std::find_if(http.begin(), http.end(),
                           [&](const Json& r) { return jsonString(r, "name") == name; });
    if (it == http.end()) {
      return invalidArgument(describe() + " has no http route named '" + name + "'");
    }
    if (!findDestinations(*it, target_).any()) {
      return invalidArgument(describe() + " http route '" + name + "' has no destination host " +
                             ours);
    }
    selected.push_back(static_cast<int>(it - http.begin()));
  }
  return selected;
}

Result<std::optional<int>> IstioRouter::setWeight(int canary_percent) {
  if (canary_percent < 0 || canary_percent > 100) {
    return invalidArgument("canary weight " + std::to_string(canary_percent) +
                           " is outside 0..100");
  }
  auto mutate = [&](Json& vs) -> Result<bool> {
    auto selected = selectRoutes(vs);
    if (!selected.isOk()) return selected.status();
    const Json before = vs;
    for (int index : *selected) {
      Json& http_route = vs["spec"]["http"][index];
      RouteDestinations found = findDestinations(http_route, target_);
      Json& route = http_route["route"];
      // The missing destination copies its sibling (port, subset, headers) and keeps the
      // sibling's host form (short name or FQDN).
      auto addSibling = [&](int from, const std::string& from_service, const std::string& service) {
        Json copy = route[from];
        const std::string host = hostOf(copy);
        copy["destination"]["host"] = service + host.substr(from_service.size());
        route.push_back(std::move(copy));
        return static_cast<int>(route.size()) - 1;
      };
      if (found.canary < 0) {
        found.canary = addSibling(found.stable, target_.stable_service, target_.canary_service);
      }
      if (found.stable < 0) {
        found.stable = addSibling(found.canary, target_.canary_service, target_.stable_service);
      }
      route[found.stable]["weight"] = 100 - canary_percent;
      route[found.canary]["weight"] = canary_percent;
    }
    return vs != before;
  };
  auto stored =
      updateWithRetry(api_, k8s::resources::virtualServices(), target_.ns, virtual_service_, mutate,
                      kMaxConflictRetries, std::exchange(last_seen_, std::nullopt));
  if (!stored.isOk()) return stored.status();
  last_seen_ = *stored;
  return weightOf(*stored);
}

Result<std::optional<int>> IstioRouter::readWeight() {
  auto vs = getObject(api_, k8s::resources::virtualServices(), target_.ns, virtual_service_);
  if (!vs.isOk()) return vs.status();
  last_seen_ = *vs;
  return weightOf(*vs);
}

std::optional<int> IstioRouter::weightOf(const Json& vs) const {
  auto selected = selectRoutes(vs);
  if (!selected.isOk()) return std::nullopt;
  const Json& http_route = httpRoutesOf(vs)[selected->front()];
  const RouteDestinations found = findDestinations(http_route, target_);
  const Json& route = http_route["route"];
  const long long stable = found.stable < 0 ? 0 : destinationWeight(route, found.stable);
  const long long canary = found.canary < 0 ? 0 : destinationWeight(route, found.canary);
  return weightPercent(stable, canary);
}

Status IstioRouter::verify() {
  auto vs = getObject(api_, k8s::resources::virtualServices(), target_.ns, virtual_service_);
  if (!vs.isOk()) return vs.status();
  return verifyObject(*vs);
}

Status IstioRouter::verifyLastRead() {
  return last_seen_ ? verifyObject(*last_seen_) : verify();
}

Status IstioRouter::verifyObject(const Json& vs) const {
  auto selected = selectRoutes(vs);
  if (!selected.isOk()) return selected.status();
  const Json& http = httpRoutesOf(vs);
  for (int index : *selected) {
    const RouteDestinations found = findDestinations(http[index], target_);
    const Json& route = http[index]["route"];
    // Another destination with a weight in a route we split shares its traffic.
    for (int i = 0; i < static_cast<int>(route.size()); ++i) {
      if (i == found.stable || i == found.canary || destinationWeight(route, i) <= 0) continue;
      return invalidArgument(describe() + " http route '" + http[index].value("name", "") +
                             "' also sends traffic to " + hostOf(route[i]) + " (weight " +
                             std::to_string(destinationWeight(route, i)) + ") beside " +
                             target_.stable_service + " and " + target_.canary_service +
                             ", so the canary's share would not be the step's weight; give it "
                             "weight 0 or move it to a route of its own");
    }
  }
  return Status::ok();
}

}  // namespace mr::traffic
