#include "plugin/connection_flags.h"

#include "k8s/credentials.h"

namespace mr::plugin {

Result<k8s::ClusterConfig> applyConnectionFlags(Result<k8s::ClusterConfig> loaded,
                                                const ConnectionFlags& flags,
                                                const FileReader& read_file) {
  k8s::ClusterConfig config;
  if (loaded.isOk()) {
    config = std::move(*loaded);
  } else if (flags.server.empty()) {
    return loaded.status();
  } else {
    config.description = "command-line flags";
  }
  if (!flags.server.empty()) {
    config.server = flags.server;
    while (!config.server.empty() && config.server.back() == '/')
      config.server.pop_back();
    if (config.server.find("://") == std::string::npos) config.server = "https://" + config.server;
  }
  if (!flags.token.empty()) config.token = k8s::makeStaticTokenSource(flags.token);
  if (!flags.certificate_authority.empty()) {
    if (flags.insecure_skip_tls_verify) {
      return invalidArgument(
          "--certificate-authority and --insecure-skip-tls-verify cannot be combined");
    }
    auto ca = read_file(flags.certificate_authority);
    if (!ca.isOk()) return ca.status().withContext("--certificate-authority");
    config.ca_pem = *ca;
    config.insecure_skip_tls_verify = false;
  }
  if (flags.insecure_skip_tls_verify) {
    config.insecure_skip_tls_verify = true;
    config.ca_pem.clear();
  }
  if (!flags.tls_server_name.empty()) config.tls_server_name = flags.tls_server_name;
  if (config.server.empty()) return invalidArgument("no API server: set --server or a kubeconfig");
  return config;
}

Millis requestTimeout(const ConnectionFlags& flags, Millis fallback) {
  if (!flags.request_timeout) return fallback;
  if (flags.request_timeout->count() == 0) return Millis(24LL * 3600 * 1000);
  return *flags.request_timeout;
}

}  // namespace mr::plugin
