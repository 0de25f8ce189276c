#include "plugin/plugin_commands.h"

#include "plugin/output_format.h"
#include "plugin/render.h"
#include "plugin/template_edit.h"
#include "plugin/tree.h"
#include "rollout/managed_resources.h"
#include "rollout/modelrollout_types.h"
#include "rollout/template_hash.h"

namespace mr::plugin {
namespace {

using k8s::Json;

const k8s::ResourceType& rollouts() {
  return k8s::resources::modelRollouts();
}

constexpr const char* kResourceName = "modelrollout.modelrollout.io/";

const k8s::ResourceType& replicaSets() {
  static const k8s::ResourceType kType{"apps", "v1", "replicasets", "ReplicaSet", true};
  return kType;
}

const k8s::ResourceType& pods() {
  static const k8s::ResourceType kType{"", "v1", "pods", "Pod", true};
  return kType;
}

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
  if (c == "list") return list(ns, args.all_namespaces, args.output);
  if (c == "get") return get(args, ns);
  if (c == "status" && !args.output.empty()) return get(args, ns);
  if (c == "status") return status(ns, args.name, args.watch, args.timeout);
  if (c == "tree") return tree(ns, args.name);
  if (c == "set-image") return setImage(ns, args);
  if (c == "undo") return undo(ns, args.name);
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

int PluginCommands::list(const std::string& ns, bool all_namespaces, const std::string& output) {
  auto listed = api_.list(rollouts(), all_namespaces ? "" : ns, k8s::ListOptions{});
  if (!listed.isOk()) return fail(listed.status());
  if (!output.empty()) {
    out_ << formatObject(*listed, output);
  } else {
    out_ << renderList(*listed, clock_.now(), all_namespaces);
  }
  return exit_code::kOk;
}

int PluginCommands::get(const PluginArgs& args, const std::string& ns) {
  if (args.name.empty()) return list(ns, args.all_namespaces, args.output);
  auto rollout = api_.get(rollouts(), ns, args.name);
  if (!rollout.isOk()) return fail(rollout.status());
  if (!args.output.empty()) {
    out_ << formatObject(*rollout, args.output);
  } else {
    out_ << renderList(Json{{"items", Json::array({*rollout})}}, clock_.now(), false);
  }
  return exit_code::kOk;
}

int PluginCommands::tree(const std::string& ns, const std::string& name) {
  auto rollout = api_.get(rollouts(), ns, name);
  if (!rollout.isOk()) return fail(rollout.status());
  k8s::ListOptions options;
  options.label_selector = std::string(rollout::kLabelRollout) + "=" + name;
  auto deployments = api_.list(k8s::resources::deployments(), ns, options);
  if (!deployments.isOk()) return fail(deployments.status());
  auto sets = api_.list(replicaSets(), ns, options);
  Json replicasets;  // null: Pods are matched to Deployments by selector instead
  if (sets.isOk()) {
    replicasets = std::move(*sets);
  } else if (sets.status().code() != StatusCode::kNotFound) {
    return fail(sets.status());
  }
  auto listed_pods = api_.list(pods(), ns, options);
  if (!listed_pods.isOk()) return fail(listed_pods.status());
  out_ << renderTree(*rollout, *deployments, replicasets, *listed_pods, clock_.now());
  return exit_code::kOk;
}

Result<bool> PluginCommands::updateRollout(
    const std::string& ns, const std::string& name,
    const std::function<Result<std::optional<Json>>(const Json&)>& edit) {
  Status last = internalError("not tried");
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto current = api_.get(rollouts(), ns, name);
    if (!current.isOk()) return current.status();
    auto edited = edit(*current);
    if (!edited.isOk()) return edited.status();
    if (!edited->has_value()) return false;
    // The update carries the resourceVersion just read: a concurrent writer makes it fail
    // with 409 instead of being overwritten.
    auto updated = api_.update(rollouts(), **edited);
    if (updated.isOk()) return true;
    last = updated.status();
    if (last.code() != StatusCode::kConflict) return last;
  }
  return last.withContext("the ModelRollout kept changing; try again");
}

int PluginCommands::setImage(const std::string& ns, const PluginArgs& args) {
  auto changed =
      updateRollout(ns, args.name, [&](const Json& current) -> Result<std::optional<Json>> {
        auto edited = setImages(current, args.images);
        if (!edited.isOk()) return edited.status();
        if (!edited->second) return std::optional<Json>();
        return std::optional<Json>(std::move(edited->first));
      });
  if (!changed.isOk()) return fail(changed.status());
  std::string pairs;
  for (const auto& [container, image] : args.images) {
    pairs += (pairs.empty() ? "" : ", ") + container + "=" + image;
  }
  out_ << kResourceName << args.name << (*changed ? " image updated (" : " image unchanged (")
       << pairs << ")\n";
  return exit_code::kOk;
}

int PluginCommands::undo(const std::string& ns, const std::string& name) {
  std::string revision;
  auto changed = updateRollout(ns, name, [&](const Json& current) -> Result<std::optional<Json>> {
    revision = current.value("/status/stableRevision"_json_pointer, std::string());
    if (!revision.empty() && rollout::podTemplateHash(current.value("/spec/template"_json_pointer,
                                                                    Json::object())) == revision) {
      return std::optional<Json>();  // spec.template already is the stable revision's
    }
    if (revision.empty()) return invalidArgument("no stable revision recorded in status yet");
    auto deployment = api_.get(k8s::resources::deployments(), ns,
                               rollout::deploymentName(name, rollout::Role::kStable));
    if (!deployment.isOk()) return deployment.status().withContext("reading the stable Deployment");
    auto tmpl = stableTemplate(current, *deployment);
    if (!tmpl.isOk()) return tmpl.status();
    Json next = current;
    next["spec"]["template"] = std::move(*tmpl);
    return std::optional<Json>(std::move(next));
  });
  if (!changed.isOk()) return fail(changed.status());
  out_ << kResourceName << name
       << (*changed ? " spec.template set back to the stable revision "
                    : " spec.template already is the stable revision ")
       << revision << "\n";
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
