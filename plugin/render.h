// Rendering for kubectl-modelrollout: pure functions from API objects (ModelRollout JSON, the
// Events about it) and the current time to the text the plugin prints. No I/O, so every view
// is unit-tested byte for byte. Field names follow the pinned status contract (DESIGN.md).
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/clock.h"

namespace mr::plugin {

using Json = nlohmann::json;

// "[##########..........] 50%": 20 cells, each 5%, rounded to the nearest cell.
std::string weightBar(int percent);

// kubectl's AGE style: "45s", "12m", "5h", "3d", "2y" (coarsest unit, truncated).
std::string formatAge(std::chrono::seconds age);

// The `list` table over a ModelRolloutList: NAME PHASE STEP WEIGHT STABLE CANARY AGE, with a
// leading NAMESPACE column when `with_namespace`.
std::string renderList(const Json& rollout_list, SystemTime now, bool with_namespace);

// The `status` view: phase and message, step i/n with the hold remaining, weight bar,
// revisions, last analysis per metric (value vs threshold, verdict), conditions, the last
// `history_rows` history entries and the most recent `event_rows` Events (an EventList,
// null/empty = none).
std::string renderStatus(const Json& rollout, const Json& events, SystemTime now,
                         int history_rows = 5, int event_rows = 8);

// The exit code `status --watch` ends with, or nullopt while it should keep watching:
// 0 Healthy, 1 RolledBack, 2 Degraded, once the controller has observed the latest generation.
std::optional<int> watchExitCode(const Json& rollout);

}  // namespace mr::plugin
