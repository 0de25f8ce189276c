// The plugin's only tie to a real cluster: resolves --kubeconfig/--context (then $KUBECONFIG,
// in-cluster, ~/.kube/config, as kubectl does) into a RestClient and the namespace to use
// (-n wins over the context's namespace).
// Thread-safety: call once at startup.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "k8s/api_client.h"

namespace mr::plugin {

struct ClusterConnection {
  std::unique_ptr<k8s::ApiClient> api;
  std::string ns;
};

Result<ClusterConnection> connectToCluster(const std::string& kubeconfig,
                                           const std::string& context,
                                           const std::string& namespace_flag);

}  // namespace mr::plugin
