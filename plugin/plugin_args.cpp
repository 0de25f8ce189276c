#include "plugin/plugin_args.h"

#include <functional>
#include <map>
#include <set>

#include "common/duration.h"

namespace mr::plugin {

std::string usage() {
  return R"(kubectl modelrollout: inspect and drive ModelRollouts (modelrollout.io/v1alpha1).

Usage:
  kubectl modelrollout list [-A] [-o json|yaml]
  kubectl modelrollout get [NAME] [-A] [-o json|yaml]
  kubectl modelrollout status NAME [-o json|yaml] [--watch] [--timeout DURATION]
  kubectl modelrollout tree NAME
  kubectl modelrollout promote NAME [--full]
  kubectl modelrollout abort NAME
  kubectl modelrollout retry NAME
  kubectl modelrollout pause NAME
  kubectl modelrollout resume NAME
  kubectl modelrollout set image NAME CONTAINER=IMAGE [CONTAINER=IMAGE...]   (* = every container)
  kubectl modelrollout undo NAME

Flags:
  -o, --output FORMAT    list, get, status: json or yaml (the API objects)
  -w, --watch            status: re-render until Healthy (exit 0), RolledBack (1), Degraded (2)
      --timeout DURATION status --watch: give up after DURATION (exit 3), e.g. 10m
      --full             promote: skip the remaining steps and their analysis

kubectl's global flags:
  -n, --namespace NS               namespace (default: the context's namespace)
  -A, --all-namespaces             list, get: across all namespaces
      --kubeconfig FILE            kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)
      --context NAME               kubeconfig context
      --cluster NAME               kubeconfig cluster to use instead of the context's
      --user NAME                  kubeconfig user to use instead of the context's
  -s, --server URL                 API server address
      --token TOKEN                bearer token
      --certificate-authority FILE CA bundle (PEM) for the server's certificate
      --tls-server-name NAME       server name to verify the certificate against
      --insecure-skip-tls-verify   do not verify the server's certificate (insecure)
      --request-timeout DURATION   per request; 0 = no timeout (default 15s), e.g. 30s

Exit codes: 0 ok/Healthy, 1 RolledBack, 2 Degraded, 3 timeout, 4 error.
)";
}

Result<Millis> parseRequestTimeout(const std::string& text) {
  if (text.empty()) return invalidArgument("--request-timeout: empty value");
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 9) return invalidArgument("--request-timeout: " + text + " is too long");
    return Millis(std::stoll(text) * 1000);
  }
  auto d = parseDuration(text);
  if (!d.isOk()) return invalidArgument("--request-timeout: " + d.status().message());
  return *d;
}

namespace {

struct Flag {
  bool takes_value;
  std::function<Status(PluginArgs&, const std::string&)> set;
};

Status setBool(bool& into, const std::string& flag, const std::string& value) {
  if (value == "true" || value.empty()) {
    into = true;
  } else if (value == "false") {
    into = false;
  } else {
    return invalidArgument("flag " + flag + " takes true or false, not \"" + value + "\"");
  }
  return Status::ok();
}

const std::map<std::string, Flag>& flags() {
  auto text = [](std::string ConnectionFlags::*field) {
    return Flag{true, [field](PluginArgs& a, const std::string& v) {
                  a.connection.*field = v;
                  return Status::ok();
                }};
  };
  static const std::map<std::string, Flag> kFlags = {
      {"--namespace",
       {true,
        [](PluginArgs& a, const std::string& v) {
          a.ns = v;
          return Status::ok();
        }}},
      {"--all-namespaces",
       {false,
        [](PluginArgs& a, const std::string& v) {
          return setBool(a.all_namespaces, "--all-namespaces", v);
        }}},
      {"--kubeconfig", text(&ConnectionFlags::kubeconfig)},
      {"--context", text(&ConnectionFlags::context)},
      {"--cluster", text(&ConnectionFlags::cluster)},
      {"--user", text(&ConnectionFlags::user)},
      {"--server", text(&ConnectionFlags::server)},
      {"--token", text(&ConnectionFlags::token)},
      {"--certificate-authority", text(&ConnectionFlags::certificate_authority)},
      {"--tls-server-name", text(&ConnectionFlags::tls_server_name)},
      {"--insecure-skip-tls-verify",
       {false,
        [](PluginArgs& a, const std::string& v) {
          return setBool(a.connection.insecure_skip_tls_verify, "--insecure-skip-tls-verify", v);
        }}},
      {"--request-timeout",
       {true,
        [](PluginArgs& a, const std::string& v) -> Status {
          auto t = parseRequestTimeout(v);
          if (!t.isOk()) return t.status();
          a.connection.request_timeout = *t;
          return Status::ok();
        }}},
      {"--output",
       {true,
        [](PluginArgs& a, const std::string& v) -> Status {
          if (v != "json" && v != "yaml") {
            return invalidArgument("--output must be json or yaml, not \"" + v + "\"");
          }
          a.output = v;
          return Status::ok();
        }}},
      {"--watch",
       {false, [](PluginArgs& a, const std::string& v) { return setBool(a.watch, "--watch", v); }}},
      {"--full",
       {false, [](PluginArgs& a, const std::string& v) { return setBool(a.full, "--full", v); }}},
      {"--timeout",
       {true,
        [](PluginArgs& a, const std::string& v) -> Status {
          auto d = parseDuration(v);
          if (!d.isOk()) return invalidArgument("--timeout: " + d.status().message());
          a.timeout = *d;
          return Status::ok();
        }}},
  };
  return kFlags;
}

const std::map<char, std::string>& shorthands() {
  static const std::map<char, std::string> kShort = {{'n', "--namespace"},
                                                     {'A', "--all-namespaces"},
                                                     {'s', "--server"},
                                                     {'o', "--output"},
                                                     {'w', "--watch"}};
  return kShort;
}

// Parses "NAME=IMAGE" pairs of `set image`.
Status parseImages(const std::vector<std::string>& pairs, PluginArgs& parsed) {
  if (pairs.empty()) return invalidArgument("set image needs CONTAINER=IMAGE");
  for (const std::string& pair : pairs) {
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
      return invalidArgument("set image: \"" + pair + "\" is not CONTAINER=IMAGE");
    }
    parsed.images.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
  }
  return Status::ok();
}

}  // namespace

Result<PluginArgs> parseArgs(const std::vector<std::string>& args) {
  static const std::set<std::string> kCommands = {"list",    "get",   "status", "tree",
                                                  "promote", "abort", "retry",  "pause",
                                                  "resume",  "set",   "undo",   "help"};
  PluginArgs parsed;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      parsed.command = "help";
      return parsed;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    std::string name;
    std::optional<std::string> inline_value;
    if (arg.rfind("--", 0) == 0) {
      const size_t eq = arg.find('=');
      name = arg.substr(0, eq);
      if (eq != std::string::npos) inline_value = arg.substr(eq + 1);
    } else {
      const auto s = shorthands().find(arg[1]);
      if (s == shorthands().end()) return invalidArgument("unknown flag " + arg.substr(0, 2));
      name = s->second;
      if (arg.size() > 2) inline_value = arg.substr(arg[2] == '=' ? 3 : 2);
    }
    const auto flag = flags().find(name);
    if (flag == flags().end()) return invalidArgument("unknown flag " + name);
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (flag->second.takes_value) {
      if (i + 1 >= args.size()) return invalidArgument("flag " + arg + " needs a value");
      value = args[++i];
    }
    if (Status s = flag->second.set(parsed, value); !s.isOk()) return s;
  }
  if (positional.empty()) return invalidArgument("missing command");
  parsed.command = positional[0];
  if (!kCommands.count(parsed.command)) {
    return invalidArgument("unknown command \"" + parsed.command + "\"");
  }
  if (parsed.command == "set") {
    if (positional.size() < 2 || positional[1] != "image") {
      return invalidArgument("set supports only \"set image NAME CONTAINER=IMAGE\"");
    }
    if (positional.size() < 3) return invalidArgument("set image needs a NAME");
    parsed.command = "set-image";
    parsed.name = positional[2];
    if (Status s = parseImages({positional.begin() + 3, positional.end()}, parsed); !s.isOk()) {
      return s;
    }
  } else {
    const bool no_name = parsed.command == "list" || parsed.command == "help";
    const bool optional_name = parsed.command == "get";
    const size_t want = no_name ? 1 : 2;
    if (positional.size() < want && !optional_name) {
      return invalidArgument(parsed.command + " needs a NAME");
    }
    if (positional.size() > want) {
      return invalidArgument("unexpected argument \"" + positional[want] + "\"");
    }
    if (positional.size() == 2) parsed.name = positional[1];
  }
  const std::string& c = parsed.command;
  if (parsed.watch && c != "status") return invalidArgument("--watch applies to status only");
  if (parsed.full && c != "promote") return invalidArgument("--full applies to promote only");
  if (parsed.timeout && !parsed.watch) return invalidArgument("--timeout needs --watch");
  if (!parsed.output.empty() && c != "list" && c != "get" && c != "status") {
    return invalidArgument("--output applies to list, get and status only");
  }
  if (!parsed.output.empty() && parsed.watch) {
    return invalidArgument("--output and --watch cannot be combined");
  }
  if (parsed.all_namespaces && !parsed.name.empty()) {
    return invalidArgument("-A/--all-namespaces cannot be combined with a NAME");
  }
  if (parsed.all_namespaces && c != "list" && c != "get") {
    return invalidArgument("-A/--all-namespaces applies to list and get only");
  }
  if (!parsed.connection.certificate_authority.empty() &&
      parsed.connection.insecure_skip_tls_verify) {
    return invalidArgument(
        "--certificate-authority and --insecure-skip-tls-verify cannot be combined");
  }
  return parsed;
}

}  // namespace mr::plugin
