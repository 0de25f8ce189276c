// Experiment: many seeded rollouts per (scenario, traffic) cell of one schedule, run on a few
// threads, and their summary as a markdown table. Each rollout's seed is derived from the
// experiment seed and the cell and index alone, and every result lands in its own slot, so the
// table is identical for any thread count.
// Thread-safety: runCells starts and joins its own threads; the rest are pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/analysis_sim/rollout_driver.h"
#include "bench/analysis_sim/scenarios.h"

namespace mr::analysis_sim {

struct Cell {
  Scenario scenario;
  double rps = 0;
  std::vector<RolloutResult> rollouts;

  int count(Outcome o) const;
  double rate(Outcome o) const;  // fraction of rollouts
  // Medians over the rolled-back rollouts (nullopt when none).
  std::optional<double> medianSecondsToRollback() const;
  std::optional<double> medianCanaryRequestsBeforeRollback() const;
  int unrecognisedQueries() const;
  double checkErrorFraction() const;
};

std::uint64_t rolloutSeed(std::uint64_t seed, const std::string& schedule,
                          const std::string& scenario, double rps, int index);

std::vector<Cell> runCells(const Schedule& schedule, const std::vector<Scenario>& scenarios,
                           const std::vector<double>& traffic, int rollouts, std::uint64_t seed,
                           int threads);

// The cells that miss an issue-12 target, one line each ("" when none):
// identical: rolled back <= 1%; worse: promoted <= 1%; 100% errors: all rolled back, none
// paused. (Detection >= 99% is shown, not listed: where traffic cannot give the evidence it is
// expected to miss, and the table says what the rollout did instead.)
std::string targetMisses(const Schedule& schedule, const std::vector<Cell>& cells);

std::string markdownTable(const Schedule& schedule, const std::vector<Cell>& cells);

}  // namespace mr::analysis_sim
