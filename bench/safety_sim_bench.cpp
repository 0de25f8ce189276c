// mr-bench-safety-sim: `make safety-sim`. Runs many seeded histories of the safety simulation
// (tests/safety/, docs/safety-sim.md) against the real planner, prints histories per second,
// the seed, violating histories per invariant, and for each violated invariant the minimal
// event sequence of its first violating history. Numbers only: the unit test safety_sim_test
// is what asserts zero violations.
//   mr-bench-safety-sim [--histories N] [--seed S] [--threads T] [--events E]
//                       [--invariants I1,I3] [--no-pod-faults] [--leader-unfenced] [--shrink 0|1]
//                       [--status-roundtrip] [--trace] [--trace-minimal] [--list-seeds]
// --leader-unfenced models the runtime before the write fence (an old leader drains its pass
// after losing the lease): I6 finds it. The default is the fenced runtime.
// --trace prints every event and pass (use with --histories 1); --trace-minimal traces the
// shrunk sequence of every finding; --list-seeds lists the lowest seeds of every class.
// Exit 0 unless the arguments are wrong (2), or --fail-on-violation and a counted violation (1).
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "safety/safety_sim.h"

int main(int argc, char** argv) {
  mr::safety::BatchOptions batch;
  batch.histories = 10'000'000;
  mr::safety::SimOptions options;
  bool fail_on_violation = false;
  bool trace_minimal = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--histories") {
      batch.histories = std::stol(value());
    } else if (arg == "--seed") {
      batch.seed = std::stoull(value());
    } else if (arg == "--threads") {
      batch.threads = std::stoi(value());
    } else if (arg == "--events") {
      options.events = std::stoi(value());
    } else if (arg == "--invariants") {
      batch.invariant_mask = mr::safety::parseInvariantMask(value());
    } else if (arg == "--shrink") {
      batch.shrink = std::stoi(value());
    } else if (arg == "--no-pod-faults") {
      options.pod_faults = false;
    } else if (arg == "--leader-fenced") {
      options.leader_fenced = true;  // the default
    } else if (arg == "--leader-unfenced") {
      options.leader_fenced = false;
    } else if (arg == "--status-roundtrip") {
      options.status_roundtrip = true;
    } else if (arg == "--trace") {
      options.trace = true;
    } else if (arg == "--list-seeds") {
      batch.list_seeds = true;
    } else if (arg == "--trace-minimal") {
      trace_minimal = true;
    } else if (arg == "--fail-on-violation") {
      fail_on_violation = true;
    } else {
      std::cerr << "unknown argument " << arg << " (see the comment at the top of "
                << "bench/safety_sim_bench.cpp)\n";
      return 2;
    }
  }
  const auto result = mr::safety::runBatch(batch, options);
  std::cout << mr::safety::formatSummary(result, batch);
  if (trace_minimal) {
    auto traced = options;
    traced.trace = true;
    for (const auto& f : result.findings) {
      std::cout << std::flush;
      std::cerr << "=== trace of the minimal sequence for "
                << mr::safety::invariantName(f.invariant) << " (seed " << f.history.seed << ")\n";
      for (const auto& v : mr::safety::runHistory(f.history, traced).violations)
        std::cerr << "  -> " << mr::safety::invariantName(v.invariant) << ": " << v.message << "\n";
    }
  }
  return fail_on_violation && result.totalViolating(batch.invariant_mask) > 0 ? 1 : 0;
}
