// status <-> JSON in the pinned wire form (docs/api.md "Status"). Serialization is canonical
// (stable field order, absent optionals omitted) so the reconciler can compare the JSON it
// would write with what is stored and skip the write when nothing changed.
// Parsing is lenient: a malformed or foreign status field is ignored (status is ours; a bad
// value must not wedge the object), and the planner re-derives what it needs from the world.
// Thread-safety: pure functions.
#pragma once

#include "rollout/modelrollout_types.h"

namespace mr::rollout {

Json statusToJson(const RolloutStatus& status);
RolloutStatus statusFromJson(const Json& status);

// status.lastAnalysis from an analysis result (metric values, thresholds, queries...).
LastAnalysis lastAnalysisFrom(const analysis::AnalysisResult& result);

}  // namespace mr::rollout
