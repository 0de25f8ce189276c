#include "plugin/cluster_connection.h"

#include "k8s/kube_config.h"
#include "k8s/rest_client.h"

namespace mr::plugin {

Result<ClusterConnection> connectToCluster(const std::string& kubeconfig,
                                           const std::string& context,
                                           const std::string& namespace_flag) {
  auto config =
      k8s::loadClusterConfig(kubeconfig, context, k8s::processEnv(), RealClock::instance());
  if (!config.isOk()) return config.status().withContext("loading kubeconfig");
  const std::string ns = namespace_flag.empty() ? config->default_namespace : namespace_flag;
  k8s::RestClientOptions options;
  options.user_agent = "kubectl-modelrollout/0.1";
  options.request_timeout = Millis(15000);
  auto client = k8s::RestClient::create(std::move(*config), options);
  if (!client.isOk()) return client.status().withContext("connecting to the API server");
  return ClusterConnection{std::move(*client), ns};
}

}  // namespace mr::plugin
