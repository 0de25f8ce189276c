#include "plugin/plugin_args.h"

#include <set>

#include "common/duration.h"

namespace mr::plugin {

std::string usage() {
  return R"(kubectl modelrollout: inspect and drive ModelRollouts (modelrollout.io/v1alpha1).

Usage:
  kubectl modelrollout list [-A]
  kubectl modelrollout status NAME [--watch] [--timeout DURATION]
  kubectl modelrollout promote NAME [--full]
  kubectl modelrollout abort NAME
  kubectl modelrollout retry NAME
  kubectl modelrollout pause NAME
  kubectl modelrollout resume NAME

Flags:
  -n, --namespace NS     namespace (default: the context's namespace)
  -A, --all-namespaces   list across all namespaces
      --kubeconfig FILE  kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)
      --context NAME     kubeconfig context
  -w, --watch            status: re-render until Healthy (exit 0), RolledBack (1), Degraded (2)
      --timeout DURATION status --watch: give up after DURATION (exit 3), e.g. 10m
      --full             promote: skip the remaining steps and their analysis

Exit codes: 0 ok/Healthy, 1 RolledBack, 2 Degraded, 3 timeout, 4 error.
)";
}

Result<PluginArgs> parseArgs(const std::vector<std::string>& args) {
  static const std::set<std::string> kCommands = {"list",  "status", "promote", "abort",
                                                  "retry", "pause",  "resume",  "help"};
  PluginArgs parsed;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::optional<std::string> inline_value;
    if (arg.rfind("--", 0) == 0) {
      if (const size_t eq = arg.find('='); eq != std::string::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    }
    auto value = [&]() -> Result<std::string> {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) return invalidArgument("flag " + arg + " needs a value");
      return args[++i];
    };
    auto take = [&](std::string& into) -> Status {
      auto v = value();
      if (!v.isOk()) return v.status();
      into = *v;
      return Status::ok();
    };
    Status status;
    if (arg == "-n" || arg == "--namespace") {
      status = take(parsed.ns);
    } else if (arg == "--kubeconfig") {
      status = take(parsed.kubeconfig);
    } else if (arg == "--context") {
      status = take(parsed.context);
    } else if (arg == "-A" || arg == "--all-namespaces") {
      parsed.all_namespaces = true;
    } else if (arg == "-w" || arg == "--watch") {
      parsed.watch = true;
    } else if (arg == "--full") {
      parsed.full = true;
    } else if (arg == "--timeout") {
      std::string text;
      status = take(text);
      if (status.isOk()) {
        auto d = parseDuration(text);
        if (!d.isOk()) return invalidArgument("--timeout: " + d.status().message());
        parsed.timeout = *d;
      }
    } else if (arg == "-h" || arg == "--help") {
      parsed.command = "help";
      return parsed;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return invalidArgument("unknown flag " + arg);
    } else {
      positional.push_back(arg);
    }
    if (!status.isOk()) return status;
  }
  if (positional.empty()) return invalidArgument("missing command");
  parsed.command = positional[0];
  if (!kCommands.count(parsed.command)) {
    return invalidArgument("unknown command \"" + parsed.command + "\"");
  }
  const bool takes_name = parsed.command != "list" && parsed.command != "help";
  const size_t want = takes_name ? 2 : 1;
  if (positional.size() < want) return invalidArgument(parsed.command + " needs a NAME");
  if (positional.size() > want) {
    return invalidArgument("unexpected argument \"" + positional[want] + "\"");
  }
  if (takes_name) parsed.name = positional[1];
  if (parsed.watch && parsed.command != "status") {
    return invalidArgument("--watch applies to status only");
  }
  if (parsed.full && parsed.command != "promote") {
    return invalidArgument("--full applies to promote only");
  }
  if (parsed.timeout && !parsed.watch) return invalidArgument("--timeout needs --watch");
  return parsed;
}

}  // namespace mr::plugin
