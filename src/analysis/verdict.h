// Verdicts of the analysis: per metric and per check. Severity order (worst first):
// Fail > Error > Inconclusive > Pass; a check's verdict is the worst of its metrics.
// Error means "could not judge" (Prometheus down or erroring, bad query) and is counted apart
// from Fail: it never promotes and never rolls back on its own.
// Thread-safety: plain value types.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace mr::analysis {

enum class Verdict { kPass = 0, kInconclusive = 1, kError = 2, kFail = 3 };

const char* verdictName(Verdict v);  // "Pass", "Inconclusive", "Error", "Fail"
inline Verdict worst(Verdict a, Verdict b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

struct MetricResult {
  std::string name;  // "errorRate", "latencyP99", "drift", "maeDegradation", custom name
  Verdict verdict = Verdict::kInconclusive;
  std::optional<double> value;        // absent when there was no data or an error
  std::string threshold;              // human form, e.g. "<= 0.001", ">= 0.5, <= 0.9"
  std::optional<double> sample_size;  // requests (or labelled samples) in the window
  std::string query;                  // the rendered PromQL (the canary's, if several)
  std::string message;                // why, in one sentence with the numbers
};

struct AnalysisResult {
  Verdict verdict = Verdict::kInconclusive;  // worst of metrics
  std::vector<MetricResult> metrics;
  SystemTime time;              // when the check finished
  std::string canary_revision;  // what was judged
  int step = 0;                 // at which step
  std::string message;          // summary, e.g. "drift 0.31 > 0.2 (Fail)"
};

}  // namespace mr::analysis
