#include "e2e/simulator/simulator_flags.h"

#include <cmath>
#include <cstdlib>

#include "common/duration.h"

namespace mr::sim {
namespace {

Status parseDouble(const std::string& flag, const std::string& text, double& out) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v < 0) {
    return invalidArgument(flag + ": not a non-negative number: \"" + text + "\"");
  }
  out = v;
  return Status::ok();
}

Status parsePositiveDuration(const std::string& flag, const std::string& text,
                             std::chrono::milliseconds& out, bool allow_zero) {
  auto d = parseDuration(text);
  if (!d.isOk()) return d.status().withContext(flag);
  if (!allow_zero && d->count() <= 0) return invalidArgument(flag + ": must be positive");
  out = *d;
  return Status::ok();
}

}  // namespace

std::string simulatorUsage() {
  return "usage: mr-simulator [--kubeconfig PATH] [--rate RPS] [--ready-delay 1s]\n"
         "                    [--metrics-listen 127.0.0.1:0] [--port-file PATH] [--seed N]\n"
         "                    [--tick 100ms] [--log-level info] [--log-format text|json]\n"
         "                    [--kubelet-only [--node mr-sim-node]]\n";
}

Result<SimulatorFlags> parseSimulatorFlags(const std::vector<std::string>& args) {
  SimulatorFlags f;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool has_value = false;
    if (const auto eq = name.find('='); eq != std::string::npos && name.rfind("--", 0) == 0) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "--help" || name == "-h") {
      f.help = true;
      continue;
    }
    if (name == "--kubelet-only" && !has_value) {
      f.kubelet_only = true;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return invalidArgument(name + ": missing value");
      value = args[++i];
    }
    Status s;
    if (name == "--kubeconfig") {
      f.kubeconfig = value;
    } else if (name == "--rate") {
      s = parseDouble(name, value, f.rate);
    } else if (name == "--ready-delay") {
      s = parsePositiveDuration(name, value, f.ready_delay, /*allow_zero=*/true);
    } else if (name == "--metrics-listen") {
      if (value.find(':') == std::string::npos) s = invalidArgument(name + ": want HOST:PORT");
      f.metrics_listen = value;
    } else if (name == "--port-file") {
      f.port_file = value;
    } else if (name == "--seed") {
      char* end = nullptr;
      f.seed = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0') s = invalidArgument(name + ": not an integer");
    } else if (name == "--tick") {
      s = parsePositiveDuration(name, value, f.tick, /*allow_zero=*/false);
    } else if (name == "--node") {
      if (value.empty()) s = invalidArgument(name + ": empty");
      f.node_name = value;
    } else if (name == "--log-level") {
      f.log_level = value;
    } else if (name == "--log-format") {
      if (value != "text" && value != "json") s = invalidArgument(name + ": text or json");
      f.log_format = value;
    } else {
      return invalidArgument("unknown flag " + name);
    }
    if (!s.isOk()) return s;
  }
  return f;
}

}  // namespace mr::sim
