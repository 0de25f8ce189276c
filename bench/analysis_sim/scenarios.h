// The scenarios and schedules of the analysis simulation (issue 12, "How we will know").
// A scenario is a pair of behaviours (stable, canary) and what the canary is: identical (any
// rollback is a false rollback), worse than a threshold (a rollback is a detection, a promotion
// is a miss), or exactly at a threshold (reported only). A schedule is the steps and the
// analysis spec every rollout of a table uses, and the simulated horizon after which a rollout
// still running counts as undecided.
// Thread-safety: plain value types.
#pragma once

#include <string>
#include <vector>

#include "analysis/analysis_spec.h"
#include "bench/analysis_sim/role_behaviour.h"
#include "rollout/modelrollout_types.h"

namespace mr::analysis_sim {

enum class CanaryKind { kIdentical, kWorse, kAtThreshold };

struct Scenario {
  std::string id;           // command-line name, e.g. "err2x"
  std::string description;  // table row, e.g. "error rate 2x max"
  CanaryKind kind = CanaryKind::kIdentical;
  RoleBehaviour stable;
  RoleBehaviour canary;
  double query_failure_rate = 0;  // fraction of Prometheus queries failing (outage noise)
};

// Every scenario, in table order.
std::vector<Scenario> allScenarios();

struct Schedule {
  std::string id;  // "runbook" | "compressed"
  std::string description;
  std::vector<rollout::Step> steps;
  analysis::AnalysisSpec analysis;
  Millis horizon{0};  // simulated time from the canary's start
};

Schedule runbookSchedule();
Schedule compressedSchedule();

// Total request rates (req/s per ModelRollout) of every table.
inline const std::vector<double> kTrafficLevels = {0.2, 2, 20, 200};

}  // namespace mr::analysis_sim
