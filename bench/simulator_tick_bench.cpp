// mr-bench-simulator: CPU one Simulation tick costs with a large fleet, so we know the
// simulator keeps up in real time beside the controller in `make bench` (issue 8). Prints
//   simulator: <N> rollouts x <rate> rps: <ms> ms CPU per simulated second (<ticks> ticks)
// and exits 0; the number is reported, not judged (a shared or sanitized machine varies).
//   mr-bench-simulator [rollouts=500] [simulated_seconds=5]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "e2e/simulator/simulation.h"
#include "e2e/simulator/synthetic_fleet.h"

namespace {

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int positiveArg(int argc, char** argv, int index, int fallback) {
  if (argc <= index) return fallback;
  const int value = std::atoi(argv[index]);
  return value > 0 ? value : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using std::chrono::milliseconds;
  const int rollouts = positiveArg(argc, argv, 1, 500);
  const int seconds = positiveArg(argc, argv, 2, 5);
  constexpr double kRate = 100.0;
  mr::sim::MetricsStore store;
  mr::sim::Simulation sim{mr::sim::SimulationOptions{kRate, milliseconds(0), milliseconds(2000), 1},
                          store};
  const mr::sim::ClusterSnapshot snapshot = mr::sim::gatewayFleet(rollouts, "bench");
  mr::SteadyTime now{};
  sim.tick(snapshot, now, mr::SystemTime{}, milliseconds(100));  // first sight of everything
  const int ticks = seconds * 10;
  const double start = threadCpuSeconds();
  for (int i = 0; i < ticks; ++i) {
    now += milliseconds(100);
    sim.tick(snapshot, now, mr::SystemTime{}, milliseconds(100));
  }
  const double per_second = (threadCpuSeconds() - start) / seconds;
  // A sanity check that the ticks did the work: r0's stable version served 90% of its traffic.
  const auto served = store.requests({"bench", "r0", "stable", "s"}, "200");
  std::printf(
      "simulator: %d rollouts x %.0f rps: %.1f ms CPU per simulated second (%d ticks, "
      "r0 stable served %llu)\n",
      rollouts, kRate, per_second * 1000, ticks, static_cast<unsigned long long>(served));
  return served > 0 ? 0 : 1;
}
