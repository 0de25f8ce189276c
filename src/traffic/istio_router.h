// IstioRouter: splits traffic through a user-owned Istio VirtualService
// (networking.istio.io/v1). It edits the http routes named in `routes` (or, when that list is
// empty, every http route with a destination host naming our Services), setting the weights of
// the destinations whose host is our stable/canary Service (short name or
// "<svc>.<ns>[.svc[.cluster.local]]") to 100-w and w, adding the missing one as a copy of its
// sibling. Other http routes, other destinations and all other fields are left alone. route[]
// is replaced as a whole by patches, so changes are a PUT with the resourceVersion read.
// Thread-safety: see TrafficRouter.
#pragma once

#include <optional>

#include "traffic/traffic_router.h"

namespace mr::traffic {

class IstioRouter final : public TrafficRouter {
 public:
  // REQUIRES: `api` outlives this router.
  IstioRouter(k8s::ApiClient& api, RouterTarget target, std::string virtual_service,
              std::vector<std::string> routes);

  Result<std::optional<int>> setWeight(int canary_percent) override;
  Result<std::optional<int>> readWeight() override;
  Status verify() override;
  Status verifyLastRead() override;
  std::string describe() const override;

 private:
  Status verifyObject(const k8s::Json& vs) const;
  // Indices into spec.http of the routes to act on, or an InvalidArgument naming what is
  // missing (a named route absent, a named route not pointing at our Services, no match).
  Result<std::vector<int>> selectRoutes(const k8s::Json& virtual_service) const;
  // The canary percentage of the first selected route (what readWeight reports).
  std::optional<int> weightOf(const k8s::Json& virtual_service) const;

  k8s::ApiClient& api_;
  RouterTarget target_;
  // The object as last read or written by this router: setWeight right after readWeight
  // (the reconciler's pattern) PUTs it without a second GET; a stale copy costs one 409.
  std::optional<k8s::Json> last_seen_;
  std::string virtual_service_;
  std::vector<std::string> routes_;
};

// True when an Istio destination host names `service` in `ns` (short name or FQDN forms).
bool istioHostNames(const std::string& host, const std::string& service, const std::string& ns);

}  // namespace mr::traffic
