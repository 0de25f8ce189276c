// kubectl's connection flags applied over a loaded kubeconfig, as client-go's clientcmd
// overrides do: --server replaces the address, --token the credentials' bearer token,
// --certificate-authority the CA, --tls-server-name the verified name, and
// --insecure-skip-tls-verify turns verification off and drops the kubeconfig's CA (a CA and the
// insecure flag together are refused, as kubectl refuses them). With --server, a missing or
// unreadable kubeconfig is not an error: the flags alone describe the cluster.
// --cluster/--user are applied while loading (k8s::KubeconfigOverrides).
// Thread-safety: pure functions (the CA file is read through `read_file`).
#pragma once

#include <functional>
#include <string>

#include "common/status.h"
#include "k8s/kube_config.h"
#include "plugin/plugin_args.h"

namespace mr::plugin {

using FileReader = std::function<Result<std::string>(const std::string& path)>;

// `loaded`: the result of loading the kubeconfig (may be an error).
Result<k8s::ClusterConfig> applyConnectionFlags(Result<k8s::ClusterConfig> loaded,
                                                const ConnectionFlags& flags,
                                                const FileReader& read_file);

// The per-request timeout: --request-timeout (0 = none, which becomes a day) or `fallback`.
Millis requestTimeout(const ConnectionFlags& flags, Millis fallback);

}  // namespace mr::plugin
