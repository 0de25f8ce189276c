// DataPlane: the synthetic model-server traffic of one simulated rollout. Between two calls of
// advance() the canary weight is constant; requests arrive as a Poisson process at `rps` total
// and each goes to the canary with probability weight/100. Per role it draws, for the new
// requests: 5xx errors (binomial), request-duration bucket counts and prediction-score bin
// counts (multinomial as conditional binomials), labelled requests (binomial) and their
// absolute errors' count, sum and sum of squares (exact draws for few labels, a bivariate
// normal with the true moments for many). Counters are cumulative per role, each role running
// one revision; every advance() keeps a snapshot, so the increase over any range ending at a
// snapshot time is exact (what Prometheus' increase() approximates).
// All randomness comes from one SeededRandom (common/seeded_random.h).
// Thread-safety: one instance per thread.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "bench/analysis_sim/role_behaviour.h"
#include "common/clock.h"
#include "common/seeded_random.h"

namespace mr::analysis_sim {

enum class Role { kStable = 0, kCanary = 1 };

struct RoleCounters {
  double requests = 0;
  double errors = 0;
  std::array<double, kLatencyBuckets> latency{};      // per bucket, not cumulative
  std::array<double, kPredictionBins> prediction{};   // per bin, not cumulative
  double abs_count = 0, abs_sum = 0, abs_sum_sq = 0;  // labelled requests' absolute errors

  RoleCounters minus(const RoleCounters& earlier) const;
};

class DataPlane {
 public:
  // REQUIRES: rps >= 0.
  DataPlane(RoleBehaviour stable, RoleBehaviour canary, std::string stable_revision,
            std::string canary_revision, double rps, SystemTime start, std::uint64_t seed);

  // Traffic from the previous advance (or start) to `now` at `canary_weight` percent.
  void advance(SystemTime now, int canary_weight);

  // The revision a role runs.
  const std::string& revision(Role r) const;
  // Increase of a role's counters from the last snapshot at or before `now - range` to the last
  // snapshot at or before `now`. A role that served nothing by `now` has no series (false).
  bool increase(Role role, SystemTime now, Millis range, RoleCounters& out) const;
  // Cumulative counters at the latest snapshot.
  const RoleCounters& total(Role role) const { return snapshots_.back().roles[index(role)]; }

 private:
  struct Snapshot {
    SystemTime time;
    std::array<RoleCounters, 2> roles;
  };
  static std::size_t index(Role r) { return static_cast<std::size_t>(r); }
  void serve(const RoleBehaviour& b, const std::array<double, kLatencyBuckets>& latency_p,
             std::uint64_t n, RoleCounters& c);
  template <std::size_t N>
  void multinomial(std::uint64_t n, const std::array<double, N>& p, std::array<double, N>& out);
  void absoluteErrors(const AbsErrorModel& m, std::uint64_t n, RoleCounters& c);
  const Snapshot& at(SystemTime t) const;

  std::array<RoleBehaviour, 2> behaviour_;
  std::array<std::array<double, kLatencyBuckets>, 2> latency_p_;
  std::array<std::string, 2> revision_;
  double rps_;
  SeededRandom rng_;
  std::vector<Snapshot> snapshots_;
};

}  // namespace mr::analysis_sim
