#include "controller/controller_flags.h"

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>

#include "analysis/prometheus_policy.h"
#include "common/duration.h"

namespace mr::controller {
namespace {

Result<bool> parseBool(const std::string& v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return invalidArgument("expected true or false, got '" + v + "'");
}

Result<std::vector<std::string>> parseAddressList(const std::string& v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    const size_t comma = v.find(',', start);
    std::string item =
        v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t b = item.find_first_not_of(" \t");
    const size_t e = item.find_last_not_of(" \t");
    item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (auto parsed = analysis::parseAllowList(out); !parsed.isOk()) {
    return parsed.status().withContext("--allowed-prometheus-addresses");
  }
  return out;
}

}  // namespace

Result<ControllerFlags> parseFlags(const std::vector<std::string>& args) {
  ControllerFlags f;
  using Setter = std::function<Status(const std::string&)>;
  const auto text = [](std::string& field) -> Setter {
    return [&field](const std::string& v) {
      field = v;
      return Status::ok();
    };
  };
  const auto duration = [](std::chrono::milliseconds& field, const char* flag) -> Setter {
    return [&field, flag](const std::string& v) {
      auto d = parseDuration(v);
      if (!d.isOk()) return d.status().withContext(std::string("--") + flag);
      field = *d;
      return Status::ok();
    };
  };
  std::map<std::string, Setter> values = {
      {"kubeconfig", text(f.kubeconfig)},
      {"context", text(f.context)},
      {"namespace", text(f.ns)},
      {"leader-election-namespace", text(f.leader_election_namespace)},
      {"leader-election-id", text(f.leader_election_id)},
      {"leader-elect-lease-duration", duration(f.lease_duration, "leader-elect-lease-duration")},
      {"leader-elect-renew-deadline", duration(f.renew_deadline, "leader-elect-renew-deadline")},
      {"leader-elect-retry-period", duration(f.retry_period, "leader-elect-retry-period")},
      {"metrics-bind-address", text(f.metrics_bind_address)},
      {"health-probe-bind-address", text(f.health_probe_bind_address)},
      {"log-format",
       [&](const std::string& v) {
         if (v != "json" && v != "text")
           return invalidArgument("--log-format must be json or text");
         f.log_format = v;
         return Status::ok();
       }},
      {"log-level", text(f.log_level)},
      {"allowed-prometheus-addresses",
       [&](const std::string& v) {
         auto list = parseAddressList(v);
         if (!list.isOk()) return list.status();
         f.allowed_prometheus_addresses = std::move(list).value();
         return Status::ok();
       }},
      {"prometheus-max-body-bytes",
       [&](const std::string& v) {
         try {
           size_t used = 0;
           const long long n = std::stoll(v, &used);
           if (used != v.size() || n < 1024) throw std::invalid_argument(v);
           f.prometheus_max_body_bytes = static_cast<size_t>(n);
         } catch (const std::exception&) {
           return invalidArgument("--prometheus-max-body-bytes must be an integer >= 1024, got '" +
                                  v + "'");
         }
         return Status::ok();
       }},
      {"prometheus-max-timeout",
       [&](const std::string& v) {
         auto d = parseDuration(v);
         if (!d.isOk() || d->count() < 1000) {
           return invalidArgument(
               "--prometheus-max-timeout must be a duration of at least 1s, "
               "got '" +
               v + "'");
         }
         f.prometheus_max_timeout = *d;
         return Status::ok();
       }},
      {"workers",
       [&](const std::string& v) {
         try {
           size_t used = 0;
           f.workers = std::stoi(v, &used);
           if (used != v.size() || f.workers < 1) throw std::invalid_argument(v);
         } catch (const std::exception&) {
           return invalidArgument("--workers must be a positive integer, got '" + v + "'");
         }
         return Status::ok();
       }},
  };
  std::map<std::string, bool*> bools = {{"leader-elect", &f.leader_elect}, {"help", &f.help}};

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      f.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) return invalidArgument("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (auto b = bools.find(name); b != bools.end()) {
      if (!value) {
        *b->second = true;
        continue;
      }
      auto parsed = parseBool(*value);
      if (!parsed.isOk()) return parsed.status().withContext("--" + name);
      *b->second = *parsed;
      continue;
    }
    auto setter = values.find(name);
    if (setter == values.end()) return invalidArgument("unknown flag --" + name);
    if (!value) {
      if (i + 1 >= args.size()) return invalidArgument("flag --" + name + " needs a value");
      value = args[++i];
    }
    if (Status s = setter->second(*value); !s.isOk()) return s;
  }
  return f;
}

std::string helpText(const std::string& program) {
  return "Usage: " + program +
         " [flags]\n"
         "Runs the ModelRollout controller: canary rollouts of ML model servers judged by "
         "Prometheus.\n\n"
         "Flags:\n"
         "  --kubeconfig PATH                  kubeconfig file (default: $KUBECONFIG, in-cluster,\n"
         "                                     then ~/.kube/config)\n"
         "  --context NAME                     kubeconfig context (default: current-context)\n"
         "  --namespace NS                     watch only this namespace (default: all)\n"
         "  --workers N                        concurrent reconciles (default: 8), plus one\n"
         "                                     worker kept for rollbacks and analysis results\n"
         "  --leader-elect[=true|false]        use a Lease so only one replica is active\n"
         "  --leader-election-namespace NS     namespace of the Lease (default: config namespace)\n"
         "  --leader-election-id NAME          name of the Lease (default:\n"
         "                                     modelrollout-controller-leader)\n"
         "  --leader-elect-lease-duration D    how long a Lease holds without renewal (default\n"
         "                                     15s, whole seconds); writes stop 2s (at most\n"
         "                                     lease - renew deadline) before it could expire\n"
         "  --leader-elect-renew-deadline D    a leader that cannot renew within this stops\n"
         "                                     leading and exits (default 10s)\n"
         "  --leader-elect-retry-period D      renewal and acquisition interval (default 2s)\n"
         "  --metrics-bind-address ADDR        /metrics address (default :8080; 0 disables)\n"
         "  --health-probe-bind-address ADDR   /healthz and /readyz address (default :8081;\n"
         "                                     0 disables)\n"
         "  --log-format json|text             log format (default: json)\n"
         "  --log-level LEVEL                  trace|debug|info|warn|error (default: info)\n"
         "  --allowed-prometheus-addresses LIST\n"
         "                                     comma-separated Prometheus URL prefixes that\n"
         "                                     spec.analysis.prometheus.address may name\n"
         "                                     (scheme://host[:port][/path]); others are\n"
         "                                     InvalidSpec; empty allows none (default:\n"
         "                                     http://prometheus.monitoring:9090)\n"
         "  --prometheus-max-body-bytes N      largest Prometheus reply read (default: 8388608)\n"
         "  --prometheus-max-timeout DURATION  cap on spec.analysis.prometheus.timeout\n"
         "                                     (default: 60s)\n"
         "  --help                             show this help\n";
}

}  // namespace mr::controller
