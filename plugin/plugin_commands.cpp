#include "plugin/plugin_commands.h"

#include "plugin/render.h"

namespace mr::plugin {
namespace {

using k8s::Json;

const k8s::ResourceType& rollouts() {
  return k8s::resources::modelRollouts();
}

constexpr const char* kResourceName = "modelrollout.modelrollout.io/";

}  // namespace

PluginCommands::PluginCommands(k8s::ApiClient& api, const Clock& clock, std::ostream& out,
                               std::ostream& err, bool terminal)
    : api_(api), clock_(clock), out_(out), err_(err), terminal_(terminal) {}

int PluginCommands::run(const PluginArgs& args, const std::string& ns) {
  const std::string& c = args.command;
  if (c == "help") {
    out_ << usage();
    return exit_code::kOk;
  }
  if (c == "list") return list(ns, args.all_namespaces);
  if (c == "status") return status(ns, args.name, args.watch, args.timeout);
  if (c == "promote") {
    return annotate(
        ns, args.name, "modelrollout.io/promote", args.full ? "full" : "true",
        args.full ? "promotion requested (full: skipping analysis)" : "promotion requested");
  }
  if (c == "abort")
    return annotate(ns, args.name, "modelrollout.io/abort", "true", "abort requested");
  if (c == "retry")
    return annotate(ns, args.name, "modelrollout.io/retry", "true", "retry requested");
  if (c == "pause") return setPaused(ns, args.name, true);
  if (c == "resume") return setPaused(ns, args.name, false);
  return fail(invalidArgument("unknown command \"" + c + "\""));
}

int PluginCommands::fail(const Status& status) {
  err_ << "error: " << status.message() << "\n";
  return exit_code::kError;
}

int PluginCommands::list(const std::string& ns, bool all_namespaces) {
  auto listed = api_.list(rollouts(), all_namespaces ? "" : ns, k8s::ListOptions{});
  if (!listed.isOk()) return fail(listed.status());
  out_ << renderList(*listed, clock_.now(), all_namespaces);
  return exit_code::kOk;
}

Json PluginCommands::eventsFor(const std::string& ns, const std::string& name) {
  k8s::ListOptions options;
  options.field_selector = "involvedObject.kind=ModelRollout,involvedObject.name=" + name;
  auto listed = api_.list(k8s::resources::coreEvents(), ns, options);
  if (!listed.isOk() && listed.status().code() == StatusCode::kInvalidArgument) {
    // Servers without field selectors on events: filter here instead.
    listed = api_.list(k8s::resources::coreEvents(), ns, k8s::ListOptions{});
  }
  Json events = {{"items", Json::array()}};
  if (!listed.isOk()) return events;
  for (const Json& e : listed->value("items", Json::array())) {
    const Json involved = e.value("involvedObject", Json::object());
    if (involved.value("kind", "") == "ModelRollout" && involved.value("name", "") == name) {
      events["items"].push_back(e);
    }
  }
  return events;
}

int PluginCommands::status(const std::string& ns, const std::string& name, bool watch,
                           std::optional<Millis> timeout) {
  const SteadyTime deadline = timeout ? clock_.steadyNow() + *timeout : SteadyTime::max();
  std::string last_key;
  while (true) {
    auto rollout = api_.get(rollouts(), ns, name);
    if (!rollout.isOk()) {
      // A watch outlives API hiccups; a missing object or a one-shot view does not.
      if (!watch || !rollout.status().isRetryable()) return fail(rollout.status());
      err_ << "warning: " << rollout.status().message() << " (retrying)\n";
    } else {
      const Json events = eventsFor(ns, name);
      std::string key = rollout->value("metadata", Json::object()).value("resourceVersion", "");
      for (const Json& e : events["items"]) {
        key += "," + e.value("metadata", Json::object()).value("resourceVersion", "");
      }
      if (!watch) {
        out_ << renderStatus(*rollout, events, clock_.now());
        return exit_code::kOk;
      }
      if (terminal_) {
        out_ << "\033[H\033[2J" << renderStatus(*rollout, events, clock_.now()) << std::flush;
      } else if (key != last_key) {
        if (!last_key.empty()) out_ << "\n";
        out_ << renderStatus(*rollout, events, clock_.now()) << std::flush;
      }
      last_key = key;
      if (const auto code = watchExitCode(*rollout)) return *code;
    }
    if (clock_.steadyNow() >= deadline) {
      err_ << "error: timed out waiting for " << name << " to finish\n";
      return exit_code::kTimeout;
    }
    clock_.sleepFor(Millis(1000));
  }
}

int PluginCommands::annotate(const std::string& ns, const std::string& name,
                             const std::string& annotation, const std::string& value,
                             const std::string& done) {
  const Json patch = {{"metadata", {{"annotations", {{annotation, value}}}}}};
  auto patched = api_.patch(rollouts(), ns, name, k8s::PatchType::kMerge, patch);
  if (!patched.isOk()) return fail(patched.status());
  out_ << kResourceName << name << " " << done << " (" << annotation << "=" << value << ")\n";
  return exit_code::kOk;
}

int PluginCommands::setPaused(const std::string& ns, const std::string& name, bool paused) {
  const Json patch = {{"spec", {{"paused", paused}}}};
  auto patched = api_.patch(rollouts(), ns, name, k8s::PatchType::kMerge, patch);
  if (!patched.isOk()) return fail(patched.status());
  out_ << kResourceName << name << (paused ? " paused" : " resumed") << "\n";
  return exit_code::kOk;
}

}  // namespace mr::plugin
