// ClusterConfig: everything the REST client needs to reach and authenticate to an API server,
// loaded from a kubeconfig file (or a $KUBECONFIG list) or from the in-cluster service account.
// Resolution order (controller-runtime's): --kubeconfig flag, $KUBECONFIG, in-cluster when
// $KUBERNETES_SERVICE_HOST is set, then ~/.kube/config. --context overrides current-context.
// Relative paths in a kubeconfig resolve against the directory of the file that named them.
// `*-data` fields are base64 and win over their file counterparts.
// Thread-safety: loading functions are pure apart from file reads and, for exec plugins,
// running the plugin once; the returned config is immutable (token sources are thread-safe).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "k8s/credentials.h"

namespace mr::k8s {

struct ClusterConfig {
  std::string server;  // "https://host:port" (no trailing slash)
  std::string ca_pem;  // empty = system trust store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string proxy_url;  // the cluster's `proxy-url` (http, https or socks5); "" = environment
  std::string client_certificate_pem;
  std::string client_key_pem;
  std::shared_ptr<TokenSource> token;  // null = no bearer token
  std::string default_namespace = "default";
  std::string description;  // where the config came from, for logs
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup processEnv();

// kubectl's --cluster / --user: use this kubeconfig cluster or user instead of the context's
// ("" = the context's).
struct KubeconfigOverrides {
  std::string cluster;
  std::string user;
};

// Loads from kubeconfig files (merged as client-go does: the first file to define a name or
// current-context wins). `context` "" = current-context.
Result<ClusterConfig> loadKubeconfig(const std::vector<std::string>& files,
                                     const std::string& context, const Clock& clock,
                                     const KubeconfigOverrides& overrides = {});

constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";
Result<ClusterConfig> loadInClusterConfig(
    const EnvLookup& env, const Clock& clock,
    const std::string& service_account_dir = kServiceAccountDir);

// The resolution order above.
// The overrides apply to kubeconfig files only (not to the in-cluster config).
Result<ClusterConfig> loadClusterConfig(const std::string& kubeconfig_flag,
                                        const std::string& context_flag, const EnvLookup& env,
                                        const Clock& clock,
                                        const KubeconfigOverrides& overrides = {});

}  // namespace mr::k8s
