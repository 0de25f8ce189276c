// Safety simulation (issue 13): running many seeded histories, shrinking a failing one to a
// minimal event sequence, and the report the unit test and `make safety-sim` print.
// History i of a batch uses seed `seed + i`; a finding names that seed, so
//   mr-bench-safety-sim --seed S --histories 1
// replays it exactly. docs/safety-sim.md describes the model and the invariants.
// Thread-safety: runBatch uses `threads` worker threads internally; everything else is pure.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "safety/sim_checker.h"
#include "safety/sim_model.h"

namespace mr::safety {

struct HistoryResult {
  std::vector<Violation> violations;
  int passes = 0;
};

// Applies every event, then the quiet phase.
HistoryResult runHistory(const History& h, const SimOptions& options);

// Drops events (one at a time, repeatedly) while the history still violates `invariant` with
// a violation of class `klass` (any class when empty).
std::vector<Event> shrink(const History& h, int invariant, const SimOptions& options,
                          const std::string& klass = "");

struct BatchOptions {
  std::uint64_t seed = 20261130;
  long histories = 1000;
  int threads = 1;
  unsigned invariant_mask = (1u << kInvariantCount) - 1;  // which invariants count
  int shrink = 2;           // violation classes shrunk and printed per invariant
  bool list_seeds = false;  // the summary lists up to kListedSeeds seeds of every class
};
inline constexpr std::size_t kListedSeeds = 12;

// A violation's class: its message up to " | " (the details follow), with revisions and numbers
// blanked, so one bug's many histories count as one class.
std::string violationClass(const std::string& message);

struct Finding {
  int invariant = 0;
  History history;  // events: the minimal sequence
  std::size_t original_events = 0;
  std::string message;  // the violation of the minimal sequence
};

struct ClassCount {
  int invariant = 0;
  std::string klass;
  long histories = 0;
  long first = -1;         // lowest history index showing it
  std::vector<long> some;  // the lowest kListedSeeds history indices showing it
};

struct BatchResult {
  std::vector<ClassCount> classes;  // sorted by invariant, then most histories first
  long histories = 0;
  long passes = 0;
  double seconds = 0;
  std::array<long, kInvariantCount> violating{};  // histories violating each invariant
  std::vector<Finding> findings;
  long totalViolating(unsigned mask) const;
};

BatchResult runBatch(const BatchOptions& batch, const SimOptions& options);

std::string formatFinding(const Finding& f);
std::string formatSummary(const BatchResult& r, const BatchOptions& batch);

// "I1,I3" -> mask; empty or "all" -> every invariant. Unknown names are ignored.
unsigned parseInvariantMask(const std::string& list);

}  // namespace mr::safety
