#include "plugin/cluster_connection.h"

#include <fstream>
#include <sstream>

#include "k8s/kube_config.h"
#include "k8s/rest_client.h"
#include "plugin/connection_flags.h"

namespace mr::plugin {
namespace {

Result<std::string> readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFound("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<ClusterConnection> connectToCluster(const ConnectionFlags& flags,
                                           const std::string& namespace_flag) {
  auto loaded = k8s::loadClusterConfig(flags.kubeconfig, flags.context, k8s::processEnv(),
                                       RealClock::instance(), {flags.cluster, flags.user});
  auto config = applyConnectionFlags(std::move(loaded), flags, readWholeFile);
  if (!config.isOk()) return config.status().withContext("loading kubeconfig");
  const std::string ns = namespace_flag.empty() ? config->default_namespace : namespace_flag;
  k8s::RestClientOptions options;
  options.user_agent = "kubectl-modelrollout/0.1";
  options.request_timeout = requestTimeout(flags, Millis(15000));
  auto client = k8s::RestClient::create(std::move(*config), options);
  if (!client.isOk()) return client.status().withContext("connecting to the API server");
  return ClusterConnection{std::move(*client), ns};
}

}  // namespace mr::plugin
