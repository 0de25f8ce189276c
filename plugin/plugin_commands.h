// PluginCommands: what each kubectl-modelrollout command does against the API, written only
// against mr::k8s::ApiClient so tests drive it with a fake or a real test API server.
// The plugin edits only what users own: annotations (promote/abort/retry) and spec.paused by
// merge patch, and spec.template (set image, undo) by an update carrying the resourceVersion it
// read, so a concurrent edit is never overwritten (a 409 is retried from a fresh read). It
// never writes status. `tree` lists the rollout's Deployments, ReplicaSets and Pods.
// status --watch polls the object and its Events every second (through the injected Clock),
// re-rendering when they change (every tick on a terminal, for the hold countdown).
// Thread-safety: one instance per invocation; not shared.
#pragma once

#include <functional>
#include <optional>
#include <ostream>

#include "common/clock.h"
#include "k8s/api_client.h"
#include "plugin/plugin_args.h"

namespace mr::plugin {

class PluginCommands {
 public:
  // `terminal`: stdout is a TTY, so --watch redraws the screen in place.
  PluginCommands(k8s::ApiClient& api, const Clock& clock, std::ostream& out, std::ostream& err,
                 bool terminal = false);

  // Runs `args.command` in namespace `ns` (already resolved). Returns an exit_code value.
  int run(const PluginArgs& args, const std::string& ns);

 private:
  int list(const std::string& ns, bool all_namespaces, const std::string& output);
  int get(const PluginArgs& args, const std::string& ns);
  int tree(const std::string& ns, const std::string& name);
  int setImage(const std::string& ns, const PluginArgs& args);
  int undo(const std::string& ns, const std::string& name);
  // GET, edit, PUT with the read resourceVersion; on 409 start again (3 tries). `edit` returns
  // the new object, or nullopt when there is nothing to change.
  Result<bool> updateRollout(
      const std::string& ns, const std::string& name,
      const std::function<Result<std::optional<k8s::Json>>(const k8s::Json&)>& edit);
  int status(const std::string& ns, const std::string& name, bool watch,
             std::optional<Millis> timeout);
  int annotate(const std::string& ns, const std::string& name, const std::string& annotation,
               const std::string& value, const std::string& done);
  int setPaused(const std::string& ns, const std::string& name, bool paused);
  // Events whose involvedObject is the ModelRollout; an empty list when they cannot be read
  // (Events are informative; their absence must not fail the view).
  k8s::Json eventsFor(const std::string& ns, const std::string& name);
  int fail(const Status& status);

  k8s::ApiClient& api_;
  const Clock& clock_;
  std::ostream& out_;
  std::ostream& err_;
  bool terminal_;
};

}  // namespace mr::plugin
