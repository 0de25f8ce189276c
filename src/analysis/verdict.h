// Verdicts of the analysis: per metric and per check, on the evidence accumulated since the
// canary revision's first step (docs/analysis.md). Severity order (worst first):
// Fail > Error > Inconclusive > Pass > Skipped; a check's verdict is the worst of its metrics.
//   Fail:         evidence that the canary is worse than the threshold (any sample size).
//   Inconclusive: no evidence either way yet; a step may still advance on it, the final
//                 promotion may not.
//   Pass:         evidence that the canary is within the threshold, with >= minSampleSize.
//   Skipped:      a default metric (not listed in spec) that the model server does not export
//                 for either role; reported, not waited for.
// Error means "could not judge" (Prometheus down or erroring, bad query) and is counted apart
// from Fail: it never promotes and never rolls back on its own.
// Thread-safety: plain value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace mr::analysis {

enum class Verdict { kSkipped = -1, kPass = 0, kInconclusive = 1, kError = 2, kFail = 3 };

const char* verdictName(Verdict v);  // "Skipped", "Pass", "Inconclusive", "Error", "Fail"
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
  // Anytime-valid bounds of what is judged (the value's quantity, or for latency the fraction
  // of requests slower than maxMs), when the metric has a statistical test.
  std::optional<double> lower;
  std::optional<double> upper;
};

// Prefix of a metric message whose cause is the spec itself (e.g. latencyP99.maxMs above the
// histogram's top bucket); such a metric is an Error and the rollout shows InvalidSpec.
inline constexpr const char* kInvalidSpecPrefix = "invalid spec: ";

struct AnalysisResult {
  Verdict verdict = Verdict::kInconclusive;  // worst of metrics
  std::vector<MetricResult> metrics;
  SystemTime time;              // when the check finished
  std::string canary_revision;  // what was judged
  int step = 0;                 // at which step
  std::string message;          // summary, e.g. "drift 0.31 > 0.2 (Fail)"
  // The request's evidence_since, echoed by whoever runs the check (the reconciler): which
  // attempt of the canary revision the check was made for (its status.analysisSince). Absent:
  // unknown, and only the step, revision and time decide whether the check still counts.
  std::optional<SystemTime> evidence_since;
  // The request's step_entry (rollout::StartAnalysis::step_entry), echoed likewise: which entry
  // of the step the check was made for. Absent: unknown (taken as the current entry).
  std::optional<std::int64_t> step_entry;
};

}  // namespace mr::analysis
