// Command-line parsing for kubectl-modelrollout. kubectl passes everything after
// `kubectl modelrollout` through unchanged, so the plugin accepts kubectl's own global flags
// (--kubeconfig, --context, -n/--namespace, -A/--all-namespaces) anywhere on the line, in both
// `--flag value` and `--flag=value` forms.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace mr::plugin {

struct PluginArgs {
  std::string command;  // list | status | promote | abort | retry | pause | resume | help
  std::string name;     // the ModelRollout, for every command but list/help
  std::string kubeconfig;
  std::string context;
  std::string ns;  // "" = the kubeconfig context's namespace
  bool all_namespaces = false;
  bool watch = false;             // status
  bool full = false;              // promote
  std::optional<Millis> timeout;  // status --watch: give up after this long
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

std::string usage();

}  // namespace mr::plugin
