#include "safety/safety_sim.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "safety/simulation.h"

namespace mr::safety {

HistoryResult runHistory(const History& h, const SimOptions& options) {
  Simulation sim(h.config, options);
  for (const auto& e : h.events) {
    sim.apply(e);
    if (sim.violations().size() >= 32) break;
  }
  if (sim.violations().size() < 32) sim.settle();
  return {sim.violations(), sim.passes()};
}

namespace {

bool violates(const History& h, int invariant, const SimOptions& options, std::string* message,
              const std::string& klass = "") {
  const auto r = runHistory(h, options);
  for (const auto& v : r.violations) {
    if (v.invariant == invariant && (klass.empty() || violationClass(v.message) == klass)) {
      if (message) *message = v.message;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string violationClass(const std::string& full) {
  const std::string message = full.substr(0, full.find(" | "));
  std::string out;
  for (std::size_t i = 0; i < message.size();) {
    std::size_t j = i;
    while (j < message.size() && std::isxdigit(static_cast<unsigned char>(message[j])) &&
           !std::isupper(static_cast<unsigned char>(message[j])))
      ++j;
    auto alnum = [&](std::size_t k) {
      return std::isalnum(static_cast<unsigned char>(message[k])) != 0;
    };
    const bool boundary_before = i == 0 || !alnum(i - 1);
    const bool boundary_after = j == message.size() || !alnum(j);
    if (j - i == 10 && boundary_before && boundary_after) {
      out += "R";
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(message[i]))) {
      while (i < message.size() && std::isdigit(static_cast<unsigned char>(message[i])))
        ++i;
      out += "N";
    } else {
      out += message[i++];
    }
  }
  return out;
}

std::vector<Event> shrink(const History& h, int invariant, const SimOptions& options,
                          const std::string& klass) {
  History cur = h;
  for (int round = 0; round < 4; ++round) {
    bool changed = false;
    for (std::size_t i = cur.events.size(); i-- > 0;) {
      History candidate = cur;
      candidate.events.erase(candidate.events.begin() + static_cast<std::ptrdiff_t>(i));
      if (violates(candidate, invariant, options, nullptr, klass)) {
        cur = std::move(candidate);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return cur.events;
}

long BatchResult::totalViolating(unsigned mask) const {
  long n = 0;
  for (int i = 0; i < kInvariantCount; ++i)
    if (mask & (1u << i)) n += violating[i];
  return n;
}

BatchResult runBatch(const BatchOptions& batch, const SimOptions& options) {
  BatchResult out;
  const auto start = std::chrono::steady_clock::now();
  std::atomic<long> next{0};
  std::mutex mu;
  // Lowest history index violating each invariant (so the finding does not depend on threads).
  std::map<std::pair<int, std::string>, ClassCount> classes;
  auto worker = [&] {
    std::array<long, kInvariantCount> violating{};
    std::map<std::pair<int, std::string>, ClassCount> my_classes;
    long passes = 0;
    for (long i = next++; i < batch.histories; i = next++) {
      const History h = generateHistory(batch.seed + static_cast<std::uint64_t>(i), options);
      const HistoryResult r = runHistory(h, options);
      passes += r.passes;
      unsigned seen = 0;
      std::set<std::pair<int, std::string>> seen_classes;
      for (const auto& v : r.violations) {
        if (batch.invariant_mask & (1u << v.invariant)) {
          auto key = std::make_pair(v.invariant, violationClass(v.message));
          if (seen_classes.insert(key).second) {
            auto& cc = my_classes[key];
            cc.invariant = v.invariant;
            cc.klass = key.second;
            ++cc.histories;
            if (cc.first < 0 || i < cc.first) cc.first = i;
            if (cc.some.size() < kListedSeeds) cc.some.push_back(i);
          }
        }
        if (!(batch.invariant_mask & (1u << v.invariant)) || (seen & (1u << v.invariant))) {
          continue;
        }
        seen |= 1u << v.invariant;
        ++violating[v.invariant];
      }
    }
    std::lock_guard lock(mu);
    out.passes += passes;
    for (const auto& [key, cc] : my_classes) {
      auto& total = classes[key];
      total.invariant = cc.invariant;
      total.klass = cc.klass;
      total.histories += cc.histories;
      if (total.first < 0 || cc.first < total.first) total.first = cc.first;
      total.some.insert(total.some.end(), cc.some.begin(), cc.some.end());
      std::sort(total.some.begin(), total.some.end());
      if (total.some.size() > kListedSeeds) total.some.resize(kListedSeeds);
    }
    for (int k = 0; k < kInvariantCount; ++k) {
      out.violating[k] += violating[k];
    }
  };
  const int threads = std::max(1, batch.threads);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t)
    pool.emplace_back(worker);
  worker();
  for (auto& t : pool)
    t.join();
  out.histories = batch.histories;
  for (const auto& [key, cc] : classes)
    out.classes.push_back(cc);
  std::sort(out.classes.begin(), out.classes.end(), [](const ClassCount& a, const ClassCount& b) {
    return a.invariant != b.invariant ? a.invariant < b.invariant : a.histories > b.histories;
  });
  std::array<int, kInvariantCount> shrunk{};
  for (const auto& cc : out.classes) {
    if (shrunk[cc.invariant] >= batch.shrink) continue;
    ++shrunk[cc.invariant];
    Finding f;
    f.invariant = cc.invariant;
    f.history = generateHistory(batch.seed + static_cast<std::uint64_t>(cc.first), options);
    f.original_events = f.history.events.size();
    f.history.events = shrink(f.history, cc.invariant, options, cc.klass);
    violates(f.history, cc.invariant, options, &f.message, cc.klass);
    out.findings.push_back(std::move(f));
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::string formatFinding(const Finding& f) {
  std::ostringstream o;
  o << invariantName(f.invariant) << " violated: seed " << f.history.seed << " ("
    << describe(f.history.config) << ")\n  " << f.message << "\n  minimal sequence ("
    << f.history.events.size() << " of " << f.original_events
    << " events, then the quiet phase):\n";
  int n = 0;
  for (const auto& e : f.history.events)
    o << "    " << ++n << ". " << describe(e) << "\n";
  return o.str();
}

std::string formatSummary(const BatchResult& r, const BatchOptions& batch) {
  std::ostringstream o;
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.0f", r.seconds > 0 ? r.histories / r.seconds : 0.0);
  o << "safety-sim: seed " << batch.seed << ", " << r.histories << " histories, " << r.passes
    << " passes, " << batch.threads << " thread(s), " << r.seconds << " s, " << rate
    << " histories/s\n";
  for (int k = 0; k < kInvariantCount; ++k) {
    o << "  " << invariantName(k) << ": " << r.violating[k] << " violating histories"
      << ((batch.invariant_mask & (1u << k)) ? "" : " (not counted)") << "\n";
    for (const auto& cc : r.classes) {
      if (cc.invariant == k) {
        o << "      " << cc.histories << " x " << cc.klass << " (first: seed "
          << batch.seed + static_cast<std::uint64_t>(cc.first) << ")\n";
        if (batch.list_seeds) {
          o << "        seeds:";
          for (long i : cc.some)
            o << " " << batch.seed + static_cast<std::uint64_t>(i);
          o << "\n";
        }
      }
    }
  }
  for (const auto& f : r.findings)
    o << formatFinding(f);
  return o.str();
}

unsigned parseInvariantMask(const std::string& list) {
  if (list.empty() || list == "all") return (1u << kInvariantCount) - 1;
  unsigned mask = 0;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    const int k = invariantFromName(item);
    if (k >= 0) mask |= 1u << k;
  }
  return mask;
}

}  // namespace mr::safety
