// mr-bench-analysis-sim: whole rollouts through the real planner and the real checks in
// simulated time (issue 12, `make analysis-sim`). Prints one markdown table per schedule, the
// cells that miss a target, the seed, the wall time and rollouts per second.
//   --rollouts N        rollouts per (scenario, traffic) cell (default 1000)
//   --seed S            experiment seed (default 12)
//   --schedule X        runbook | compressed | both (default both)
//   --scenario a,b      scenario ids (default all; see scenarios.cpp)
//   --traffic 0.2,2     total req/s levels (default 0.2,2,20,200)
//   --threads T         worker threads (default 2)
// Exit code 0 always when it ran (it reports, it does not judge); 2 on bad flags.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "bench/analysis_sim/experiment.h"

namespace {

using namespace mr::analysis_sim;

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int usage(const char* why) {
  std::fprintf(stderr,
               "%s\nusage: mr-bench-analysis-sim [--rollouts N] [--seed S] "
               "[--schedule runbook|compressed|both] [--scenario id,...] [--traffic r,...] "
               "[--threads T]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int rollouts = 1000, threads = 2;
  std::uint64_t seed = 12;
  std::string schedule_arg = "both";
  std::vector<std::string> scenario_ids;
  std::vector<double> traffic = kTrafficLevels;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return usage(("missing value for " + flag).c_str());
    const std::string value = argv[++i];
    if (flag == "--rollouts") {
      rollouts = std::atoi(value.c_str());
    } else if (flag == "--seed") {
      seed = std::strtoull(value.c_str(), nullptr, 10);
    } else if (flag == "--schedule") {
      schedule_arg = value;
    } else if (flag == "--scenario") {
      scenario_ids = split(value);
    } else if (flag == "--traffic") {
      traffic.clear();
      for (const auto& t : split(value))
        traffic.push_back(std::atof(t.c_str()));
    } else if (flag == "--threads") {
      threads = std::atoi(value.c_str());
    } else {
      return usage(("unknown flag " + flag).c_str());
    }
  }
  if (rollouts <= 0 || threads <= 0 || traffic.empty()) return usage("bad numbers");
  std::vector<Schedule> schedules;
  if (schedule_arg == "compressed" || schedule_arg == "both") {
    schedules.push_back(compressedSchedule());
  }
  if (schedule_arg == "runbook" || schedule_arg == "both") schedules.push_back(runbookSchedule());
  if (schedules.empty()) return usage(("unknown schedule " + schedule_arg).c_str());
  std::vector<Scenario> scenarios;
  for (auto& s : allScenarios()) {
    if (scenario_ids.empty() ||
        std::find(scenario_ids.begin(), scenario_ids.end(), s.id) != scenario_ids.end()) {
      scenarios.push_back(std::move(s));
    }
  }
  if (scenarios.empty()) return usage("no scenario matches --scenario");

  std::printf("analysis simulation: seed %llu, %d rollouts per cell, %d thread(s)\n\n",
              static_cast<unsigned long long>(seed), rollouts, threads);
  std::string misses;
  for (const auto& schedule : schedules) {
    const auto t0 = std::chrono::steady_clock::now();
    auto cells = runCells(schedule, scenarios, traffic, rollouts, seed, threads);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double n = static_cast<double>(cells.size()) * rollouts;
    std::printf("%s\n", markdownTable(schedule, cells).c_str());
    std::printf("seed %llu; %s: %.0f rollouts in %.1f s wall (%.1f rollouts/s, %d thread(s))\n\n",
                static_cast<unsigned long long>(seed), schedule.id.c_str(), n, wall, n / wall,
                threads);
    std::fflush(stdout);
    misses += targetMisses(schedule, cells);
  }
  std::printf("Targets missed:%s\n", misses.empty() ? " none" : ("\n" + misses).c_str());
  return 0;
}
