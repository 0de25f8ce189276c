#include "k8s/api_client.h"

namespace mr::k8s::resources {

#define MR_RESOURCE(fn, group, version, plural, kind, namespaced)                         \
  const ResourceType& fn() {                                                              \
    static const ResourceType type{group, version, plural, kind, namespaced};             \
    return type;                                                                          \
  }

MR_RESOURCE(modelRollouts, "modelrollout.io", "v1alpha1", "modelrollouts", "ModelRollout", true)
MR_RESOURCE(deployments, "apps", "v1", "deployments", "Deployment", true)
MR_RESOURCE(services, "", "v1", "services", "Service", true)
MR_RESOURCE(secrets, "", "v1", "secrets", "Secret", true)
MR_RESOURCE(configMaps, "", "v1", "configmaps", "ConfigMap", true)
MR_RESOURCE(namespaces, "", "v1", "namespaces", "Namespace", false)
MR_RESOURCE(coreEvents, "", "v1", "events", "Event", true)
MR_RESOURCE(leases, "coordination.k8s.io", "v1", "leases", "Lease", true)
MR_RESOURCE(httpRoutes, "gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", true)
MR_RESOURCE(virtualServices, "networking.istio.io", "v1", "virtualservices", "VirtualService",
            true)
MR_RESOURCE(customResourceDefinitions, "apiextensions.k8s.io", "v1", "customresourcedefinitions",
            "CustomResourceDefinition", false)

#undef MR_RESOURCE

}  // namespace mr::k8s::resources
