// Logging for executables and library code: spdlog, one record per line, JSON or text.
//   json: {"ts":"2026-11-30T19:40:00.123456Z","level":"info","logger":"reconciler","msg":"...",
//          "namespace":"ml","name":"fraud-scorer","reconcileID":"..."}
//   text: 2026-11-30T19:40:00.123 I [reconciler] ... namespace=ml name=fraud-scorer reconcileID=...
// `logger` names the component (namedLogger(); plain spdlog::info() logs as "modelrollout").
// Fields come from LogFields scopes, not from the message: a reconcile sets namespace, name and
// reconcileID once and every line it logs on that thread carries them, so Loki or
// Elasticsearch can filter by rollout.
// Thread-safety: call setupLogging() from main() before other threads start (tests may call it
// again to capture output); namedLogger() from any thread; a LogFields scope belongs to the
// thread that made it.
#pragma once

#include <spdlog/spdlog.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mr {

// format: "json" | "text"; level: trace|debug|info|warn|error|off. `sink` (tests) replaces
// stderr.
Status setupLogging(const std::string& format, const std::string& level,
                    spdlog::sink_ptr sink = nullptr);

// A logger for one component, sharing the default logger's sink, format and level.
std::shared_ptr<spdlog::logger> namedLogger(const std::string& name);

// Adds key/value fields to every line this thread logs while the object lives. Scopes nest:
// an inner scope appends its fields after the outer ones. Keys are plain identifiers.
class LogFields {
 public:
  explicit LogFields(std::initializer_list<std::pair<std::string, std::string>> fields);
  ~LogFields();
  LogFields(const LogFields&) = delete;
  LogFields& operator=(const LogFields&) = delete;

 private:
  size_t added_;
};

// A random UUID (version 4) naming one reconcile in the logs, as controller-runtime's
// reconcileID does.
std::string newReconcileId();

}  // namespace mr
