// The plugin's only tie to a real cluster: resolves kubectl's connection flags (--kubeconfig,
// --context, --cluster, --user, then $KUBECONFIG, in-cluster, ~/.kube/config, as kubectl does,
// with --server/--token/--certificate-authority/--insecure-skip-tls-verify/--request-timeout
// over them, plugin/connection_flags.h) into a RestClient and the namespace to use (-n wins
// over the context's namespace).
// Thread-safety: call once at startup.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "k8s/api_client.h"
#include "plugin/plugin_args.h"

namespace mr::plugin {

struct ClusterConnection {
  std::unique_ptr<k8s::ApiClient> api;
  std::string ns;
};

Result<ClusterConnection> connectToCluster(const ConnectionFlags& flags,
                                           const std::string& namespace_flag);

}  // namespace mr::plugin
