// Command-line parsing for kubectl-modelrollout. kubectl passes everything after
// `kubectl modelrollout` through unchanged, so the plugin accepts kubectl's own global flags
// anywhere on the line, parsed as kubectl (pflag) parses them: `--flag value`, `--flag=value`,
// `-n value`, `-n=value`, `-nvalue`, and booleans as `--flag` or `--flag=true|false`.
// Connection flags: --kubeconfig, --context, --cluster, --user, -n/--namespace,
// -A/--all-namespaces, --server (-s), --token, --certificate-authority, --tls-server-name,
// --insecure-skip-tls-verify, --request-timeout (kubectl's: "0" = none, a bare number =
// seconds, else a duration such as 30s).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace mr::plugin {

// kubectl's global connection flags; empty / unset = from the kubeconfig.
struct ConnectionFlags {
  std::string kubeconfig;
  std::string context;
  std::string cluster;  // use this kubeconfig cluster instead of the context's
  std::string user;     // use this kubeconfig user instead of the context's
  std::string server;
  std::string token;
  std::string certificate_authority;  // a PEM file
  std::string tls_server_name;
  bool insecure_skip_tls_verify = false;
  std::optional<Millis> request_timeout;  // Millis(0) = no timeout
};

struct PluginArgs {
  // list | get | status | tree | promote | abort | retry | pause | resume | set-image | undo |
  // help
  std::string command;
  std::string name;  // the ModelRollout; optional for get, absent for list/help
  ConnectionFlags connection;
  std::string ns;  // "" = the kubeconfig context's namespace
  bool all_namespaces = false;
  std::string output;             // "" (human) | json | yaml: list, get, status
  bool watch = false;             // status
  bool full = false;              // promote
  std::optional<Millis> timeout;  // status --watch: give up after this long
  // set image: container name ("*" = every container) -> image, in command-line order.
  std::vector<std::pair<std::string, std::string>> images;
};

// Exit codes a script can rely on (docs/plugin.md).
namespace exit_code {
inline constexpr int kOk = 0;          // done; status --watch: Healthy
inline constexpr int kRolledBack = 1;  // status --watch ended RolledBack
inline constexpr int kDegraded = 2;    // status --watch ended Degraded
inline constexpr int kTimeout = 3;     // status --watch --timeout elapsed
inline constexpr int kError = 4;       // bad usage, object missing, API error
}  // namespace exit_code

// `args` excludes argv[0]. InvalidArgument names the offending flag or argument.
Result<PluginArgs> parseArgs(const std::vector<std::string>& args);

// kubectl's --request-timeout value: "0" = no timeout (Millis(0)), "30" = 30 s, "1m" etc.
Result<Millis> parseRequestTimeout(const std::string& text);

std::string usage();

}  // namespace mr::plugin
