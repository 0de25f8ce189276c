#include "rollout/modelrollout_types.h"

namespace mr::rollout {

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
  for (auto v : {analysis::Verdict::kSkipped, analysis::Verdict::kPass, analysis::Verdict::kInconclusive,
                 analysis::Verdict::kError, analysis::Verdict::kFail}) {
    if (name == verdictWireName(v)) return v;
  }
  return std::nullopt;
}

}  // namespace mr::rollout
