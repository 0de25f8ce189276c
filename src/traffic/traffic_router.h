// TrafficRouter: moves a share of a rollout's traffic to the canary Service and reads back
// what the data plane is actually configured with. One implementation per routing technology
// (Gateway API HTTPRoute, Istio VirtualService, replica ratio); the controller only sees this
// interface (DESIGN.md, "Traffic routers").
//
// Ownership: a router borrows the ApiClient (it must outlive the router) and owns nothing else.
// Routers hold no cached state: every call re-reads the live object, so a weight changed by
// someone else is visible to the next readWeight() (drift detection).
// Thread-safety: a router may be used from one thread at a time; different routers may run
// concurrently (the ApiClient is thread-safe).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "k8s/api_client.h"

namespace mr::traffic {

// Which object routes the traffic: spec.trafficRouting as parsed by rollout::parseSpec.
struct TrafficRoutingConfig {
  enum class Kind { kReplicaRatio, kGatewayApi, kIstio };
  Kind kind = Kind::kReplicaRatio;
  std::string http_route;           // kGatewayApi: HTTPRoute name (same namespace)
  std::string virtual_service;      // kIstio: VirtualService name (same namespace)
  std::vector<std::string> routes;  // kIstio: spec.http[].name to patch; empty = all that match

  bool operator==(const TrafficRoutingConfig&) const = default;
};

// The rollout a router acts for.
struct RouterTarget {
  std::string ns;
  std::string rollout;         // ModelRollout name
  std::string stable_service;  // "<rollout>-stable"
  std::string canary_service;  // "<rollout>-canary"
  int port = 0;                // Service port, used when a missing backend has to be added
  int replicas = 1;            // spec.replicas (replica-ratio router only)
};

// Fills stable/canary Service names from the rollout name per the pinned naming contract.
RouterTarget makeRouterTarget(const std::string& ns, const std::string& rollout, int port,
                              int replicas);

class TrafficRouter {
 public:
  virtual ~TrafficRouter() = default;

  // Sends `canary_percent` (0..100) of the traffic to the canary and the rest to stable.
  // Writes nothing when the object already says so. Retries optimistic-concurrency conflicts
  // a bounded number of times. Returns the weight read back, with readWeight()'s meaning,
  // taken from the write's response (the stored object) rather than a second GET.
  // Errors: NotFound (route missing), InvalidArgument (route does not reference our Services /
  // weight out of range), API errors as returned by the client.
  virtual Result<std::optional<int>> setWeight(int canary_percent) = 0;

  // The canary percentage the live object currently carries. nullopt when the object exists
  // but the weight cannot be told (no reference to our Services, all weights zero, no ready
  // pods). NotFound when the route object is missing.
  virtual Result<std::optional<int>> readWeight() = 0;

  // Ok when the routing object exists, names our Services and no other backend with a weight
  // shares a rule (route) we split (its traffic would dilute the canary's share); otherwise a
  // NotFound, PermissionDenied or InvalidArgument whose message is written for a Degraded
  // condition. Reads the live object.
  virtual Status verify() = 0;
  // verify() on the object the last readWeight()/setWeight() saw, without a request (the
  // reconciler calls it after every successful readWeight()); re-reads when there is none.
  virtual Status verifyLastRead() { return verify(); }

  // "HTTPRoute ml/fraud-scorer", for Events and log lines.
  virtual std::string describe() const = 0;
};

// Builds the router for `config`. REQUIRES: `api` outlives the returned router.
std::unique_ptr<TrafficRouter> makeTrafficRouter(k8s::ApiClient& api, const RouterTarget& target,
                                                 const TrafficRoutingConfig& config);

// Pure helpers shared by the routers, exposed for tests.
// canary / (stable + canary) * 100, rounded half up; nullopt when both are zero.
std::optional<int> weightPercent(long long stable, long long canary);

}  // namespace mr::traffic
