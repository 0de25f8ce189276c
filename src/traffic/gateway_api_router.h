// GatewayApiRouter: splits traffic through a user-owned Gateway API HTTPRoute
// (gateway.networking.k8s.io/v1). In every rule whose backendRefs name our stable or canary
// Service it writes weights stable=100-w, canary=w, adding the missing one of the two (copied
// from its sibling, so port and other fields match). Other rules and other backendRefs are the
// user's and stay untouched. backendRefs is an atomic list, so changes are a PUT with the
// resourceVersion read (object_update.h).
// Thread-safety: see TrafficRouter.
#pragma once

#include <optional>

#include "traffic/traffic_router.h"

namespace mr::traffic {

class GatewayApiRouter final : public TrafficRouter {
 public:
  // REQUIRES: `api` outlives this router.
  GatewayApiRouter(k8s::ApiClient& api, RouterTarget target, std::string http_route);

  Result<std::optional<int>> setWeight(int canary_percent) override;
  Result<std::optional<int>> readWeight() override;
  Status verify() override;
  Status verifyLastRead() override;
  std::string describe() const override;

 private:
  Status verifyRoute(const k8s::Json& route) const;
  k8s::ApiClient& api_;
  RouterTarget target_;
  // The object as last read or written by this router: setWeight right after readWeight
  // (the reconciler's pattern) PUTs it without a second GET; a stale copy costs one 409.
  std::optional<k8s::Json> last_seen_;
  std::string http_route_;
};

}  // namespace mr::traffic
