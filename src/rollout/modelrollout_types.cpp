#include "rollout/modelrollout_types.h"

#include <cstdio>

namespace mr::rollout {

std::string stepsFingerprint(const std::vector<Step>& steps) {
  // FNV-1a over "weight/hold_ms;" per step: stable across builds and platforms.
  std::uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](const std::string& text) {
    for (unsigned char ch : text) {
      h ^= ch;
      h *= 1099511628211ULL;
    }
  };
  for (const auto& s : steps)
    mix(std::to_string(s.weight) + "/" + std::to_string(s.hold.count()) + ";");
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf, 10);
}

const char* phaseName(Phase p) {
  switch (p) {
    case Phase::kHealthy:
      return "Healthy";
    case Phase::kProgressing:
      return "Progressing";
    case Phase::kPaused:
      return "Paused";
    case Phase::kPromoting:
      return "Promoting";
    case Phase::kRolledBack:
      return "RolledBack";
    case Phase::kDegraded:
      return "Degraded";
  }
  return "Degraded";
}

std::optional<Phase> phaseFromName(const std::string& name) {
  for (Phase p : {Phase::kHealthy, Phase::kProgressing, Phase::kPaused, Phase::kPromoting,
                  Phase::kRolledBack, Phase::kDegraded}) {
    if (name == phaseName(p)) return p;
  }
  return std::nullopt;
}

const char* verdictWireName(analysis::Verdict v) {
  switch (v) {
    case analysis::Verdict::kSkipped:
      return "Skipped";
    case analysis::Verdict::kPass:
      return "Pass";
    case analysis::Verdict::kInconclusive:
      return "Inconclusive";
    case analysis::Verdict::kError:
      return "Error";
    case analysis::Verdict::kFail:
      return "Fail";
  }
  return "Error";
}

std::optional<analysis::Verdict> verdictFromWireName(const std::string& name) {
  for (auto v :
       {analysis::Verdict::kSkipped, analysis::Verdict::kPass, analysis::Verdict::kInconclusive,
        analysis::Verdict::kError, analysis::Verdict::kFail}) {
    if (name == verdictWireName(v)) return v;
  }
  return std::nullopt;
}

}  // namespace mr::rollout
