#include "bench/analysis_sim/experiment.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include "common/seeded_random.h"

namespace mr::analysis_sim {

namespace {

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s)
    h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string percent(int k, int n) {
  if (n == 0) return "–";
  return fmt("%.1f%%", 100.0 * k / n);
}

std::string duration(std::optional<double> s) {
  if (!s) return "–";
  if (*s < 120) return fmt("%.0fs", *s);
  if (*s < 7200) return fmt("%.1fm", *s / 60);
  return fmt("%.1fh", *s / 3600);
}

std::string requests(std::optional<double> r) {
  return r ? fmt("%.0f", *r) : "–";
}

std::string rpsText(double rps) {
  return fmt("%g", rps);
}

// Where paused rollouts stopped: "100%" or "50%: 3, 100%: 17" (the canary keeps that weight).
std::string pausedWeights(const Schedule& schedule, const Cell& c) {
  std::map<int, int> by_weight;
  for (const auto& r : c.rollouts) {
    if (r.outcome != Outcome::kPaused) continue;
    const auto step = static_cast<std::size_t>(r.final_step);
    ++by_weight[step < schedule.steps.size() ? schedule.steps[step].weight : 100];
  }
  if (by_weight.empty()) return "–";
  if (by_weight.size() == 1) return std::to_string(by_weight.begin()->first) + "%";
  std::string out;
  for (const auto& [w, n] : by_weight) {
    out += (out.empty() ? "" : ", ") + std::to_string(w) + "%: " + std::to_string(n);
  }
  return out;
}

}  // namespace

int Cell::count(Outcome o) const {
  return static_cast<int>(std::count_if(rollouts.begin(), rollouts.end(),
                                        [&](const auto& r) { return r.outcome == o; }));
}

double Cell::rate(Outcome o) const {
  return rollouts.empty() ? 0 : static_cast<double>(count(o)) / rollouts.size();
}

std::optional<double> Cell::medianSecondsToRollback() const {
  std::vector<double> v;
  for (const auto& r : rollouts) {
    if (r.outcome == Outcome::kRolledBack) v.push_back(r.elapsed.count() / 1000.0);
  }
  return median(std::move(v));
}

std::optional<double> Cell::medianCanaryRequestsBeforeRollback() const {
  std::vector<double> v;
  for (const auto& r : rollouts) {
    if (r.outcome == Outcome::kRolledBack) v.push_back(r.canary_requests);
  }
  return median(std::move(v));
}

int Cell::unrecognisedQueries() const {
  int n = 0;
  for (const auto& r : rollouts)
    n += r.unrecognised_queries;
  return n;
}

double Cell::checkErrorFraction() const {
  double checks = 0, errors = 0;
  for (const auto& r : rollouts) {
    checks += r.checks;
    errors += r.check_errors;
  }
  return checks > 0 ? errors / checks : 0;
}

std::uint64_t rolloutSeed(std::uint64_t seed, const std::string& schedule,
                          const std::string& scenario, double rps, int index) {
  std::uint64_t h = SeededRandom::mix(seed);
  h = SeededRandom::mix(h ^ fnv1a(schedule));
  h = SeededRandom::mix(h ^ fnv1a(scenario));
  h = SeededRandom::mix(h ^ static_cast<std::uint64_t>(std::llround(rps * 1000)));
  return SeededRandom::mix(h ^ static_cast<std::uint64_t>(index));
}

std::vector<Cell> runCells(const Schedule& schedule, const std::vector<Scenario>& scenarios,
                           const std::vector<double>& traffic, int rollouts, std::uint64_t seed,
                           int threads) {
  std::vector<Cell> cells;
  for (const auto& s : scenarios) {
    for (double rps : traffic) {
      cells.push_back({s, rps, std::vector<RolloutResult>(static_cast<std::size_t>(rollouts))});
    }
  }
  const std::size_t total = cells.size() * static_cast<std::size_t>(rollouts);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t t = next++; t < total; t = next++) {
      // Interleave cells so slow ones (identical canaries, long holds) spread over threads.
      Cell& cell = cells[t % cells.size()];
      const int index = static_cast<int>(t / cells.size());
      cell.rollouts[index] =
          runRollout(schedule, cell.scenario, cell.rps,
                     rolloutSeed(seed, schedule.id, cell.scenario.id, cell.rps, index));
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < std::max(1, threads); ++i)
    pool.emplace_back(work);
  work();
  for (auto& t : pool)
    t.join();
  return cells;
}

std::string targetMisses(const Schedule& schedule, const std::vector<Cell>& cells) {
  std::string out;
  auto miss = [&](const Cell& c, const std::string& what) {
    out += schedule.id + " / " + c.scenario.id + " @ " + rpsText(c.rps) + " req/s: " + what + "\n";
  };
  for (const auto& c : cells) {
    const int n = static_cast<int>(c.rollouts.size());
    if (c.scenario.kind == CanaryKind::kIdentical && c.rate(Outcome::kRolledBack) > 0.01) {
      miss(c, "false rollbacks " + percent(c.count(Outcome::kRolledBack), n) + " > 1%");
    }
    if (c.scenario.kind == CanaryKind::kWorse && c.rate(Outcome::kPromoted) > 0.01) {
      miss(c, "worse canary promoted " + percent(c.count(Outcome::kPromoted), n) + " > 1%");
    }
    if (c.scenario.id == "err100" && c.count(Outcome::kRolledBack) != n) {
      miss(c, "100% errors not always rolled back: " + percent(c.count(Outcome::kRolledBack), n) +
                  " rolled back, " + percent(c.count(Outcome::kPaused), n) + " paused");
    }
    if (c.unrecognisedQueries() > 0) {
      miss(c, std::to_string(c.unrecognisedQueries()) + " queries not recognised");
    }
  }
  return out;
}

std::string markdownTable(const Schedule& schedule, const std::vector<Cell>& cells) {
  std::string out = "### Schedule " + schedule.id + ": " + schedule.description + "\n\n";
  out +=
      "| Scenario | req/s | n | Rolled back | Promoted | Paused | Paused at weight | Undecided | "
      "Median time to rollback | Median canary requests before rollback | Check errors |\n";
  out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& c : cells) {
    const int n = static_cast<int>(c.rollouts.size());
    const bool identical = c.scenario.kind == CanaryKind::kIdentical;
    const bool worse = c.scenario.kind == CanaryKind::kWorse;
    std::string rb = percent(c.count(Outcome::kRolledBack), n);
    std::string pr = percent(c.count(Outcome::kPromoted), n);
    // Targets: bold when missed.
    if (identical && c.rate(Outcome::kRolledBack) > 0.01) rb = "**" + rb + "**";
    if (worse && c.rate(Outcome::kPromoted) > 0.01) pr = "**" + pr + "**";
    const int other = c.count(Outcome::kOther);
    out += "| " + c.scenario.description + " | " + rpsText(c.rps) + " | " + std::to_string(n) +
           " | " + rb + (identical ? " (false)" : "") + " | " + pr + " | " +
           percent(c.count(Outcome::kPaused), n) + " | " + pausedWeights(schedule, c) + " | " +
           percent(c.count(Outcome::kUndecided), n) +
           (other ? " (+" + std::to_string(other) + " other)" : "") + " | " +
           duration(c.medianSecondsToRollback()) + " | " +
           requests(c.medianCanaryRequestsBeforeRollback()) + " | " +
           fmt("%.1f%%", 100 * c.checkErrorFraction()) + " |\n";
  }
  return out;
}

}  // namespace mr::analysis_sim
