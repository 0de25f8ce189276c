#include "analysis/verdict.h"

namespace mr::analysis {

const char* verdictName(Verdict v) {
  switch (v) {
    case Verdict::kSkipped:
      return "Skipped";
    case Verdict::kPass:
      return "Pass";
    case Verdict::kInconclusive:
      return "Inconclusive";
    case Verdict::kError:
      return "Error";
    case Verdict::kFail:
      return "Fail";
  }
  return "Unknown";
}

}  // namespace mr::analysis
