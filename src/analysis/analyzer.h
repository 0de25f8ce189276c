// Analyzer: the engine's view of the judge. The reconciler submits a request when a check is
// due; the result arrives later on another thread through `done` (queries never run on
// reconcile workers). Implementations: prometheus_analyzer.h (real), fakes in tests.
// Thread-safety: submit() may be called from any thread; `done` runs on an analyzer thread.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "analysis/analysis_spec.h"
#include "analysis/verdict.h"

namespace mr::analysis {

struct AnalysisRequest {
  std::string namespace_name;
  std::string rollout;
  std::string stable_revision;
  std::string canary_revision;
  int step = 0;
  // When this canary revision's evidence began (its first step of this attempt): the default
  // queries read the increase since then. Absent: the spec's window.
  std::optional<SystemTime> evidence_since;
  // Compute the display bounds and "how much more data" (bisections); the verdict never needs
  // them. The analysis simulation turns them off for speed.
  bool explain = true;
  AnalysisSpec spec;
  std::string bearer_token;  // resolved from spec.prometheus.bearer_token by the caller
  std::string ca_pem;        // resolved from spec.prometheus.ca_cert by the caller
};

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  virtual void submit(AnalysisRequest request, std::function<void(AnalysisResult)> done) = 0;
};

}  // namespace mr::analysis
