// RolloutDriver: replays one whole rollout through the real planner (rollout::plan) and the
// real checks (analysis::runAnalysis) in simulated time, against a DataPlane and a
// SimulatedPrometheus. The world is ideal apart from the analysis: Deployments are available
// at the replicas the planner asks for the moment it asks, the route carries exactly the weight
// of the last SetWeight. A StartAnalysis runs its check at once (at the pass's simulated time,
// with explain=false for speed) and the next pass, at the same time, receives the result as
// latest_analysis, as the reconciler's result callback would. Time then moves to the plan's
// requeue (bounded by the analysis interval, at least 1 s, whole seconds) and the traffic of
// that span is drawn at the weight the route carried. The rollout ends when the planner
// promotes (Promoting), rolls back, pauses, or the schedule's horizon passes (undecided).
// Thread-safety: runRollout is reentrant (all state is local).
#pragma once

#include <cstdint>
#include <string>

#include "bench/analysis_sim/scenarios.h"

namespace mr::analysis_sim {

enum class Outcome { kPromoted, kRolledBack, kPaused, kUndecided, kOther };
const char* outcomeName(Outcome o);

struct RolloutResult {
  Outcome outcome = Outcome::kUndecided;
  Millis elapsed{0};             // canary start -> decision (or horizon)
  double canary_requests = 0;    // served by the canary until then
  int final_step = 0;            // status.currentStep at the end
  int checks = 0;                // checks run
  int check_errors = 0;          // checks whose verdict was Error
  int unrecognised_queries = 0;  // queries the simulated Prometheus did not know (should be 0)
  std::string message;           // status.message at the end
};

RolloutResult runRollout(const Schedule& schedule, const Scenario& scenario, double rps,
                         std::uint64_t seed);

}  // namespace mr::analysis_sim
