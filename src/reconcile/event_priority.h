// Queue priority of a ModelRollout watch event (ControllerOptions::primary_priority).
//   kHigh:   an abort annotation appeared or changed - a rollback must not wait behind a
//            thousand other rollouts' routine passes (issue 8: abort -> stable <= 200 ms);
//   kNormal: other user changes (spec/generation, annotations, labels, deletion) and adds;
//   kLow:    status-only updates, i.e. mostly the echo of our own status write.
// Analysis results are enqueued at kHigh by the reconciler's wiring (a failing check is as
// urgent as an abort). Thread-safety: pure function.
#pragma once

#include <nlohmann/json.hpp>

#include "k8s/work_queue.h"

namespace mr::reconcile {

k8s::QueuePriority rolloutEventPriority(const nlohmann::json* old_object,
                                        const nlohmann::json& new_object);

}  // namespace mr::reconcile
