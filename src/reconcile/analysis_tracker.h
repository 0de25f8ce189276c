// AnalysisTracker: per ModelRollout, the newest analysis result and whether a check is running.
// Results arrive on analyzer threads; reconcile workers read them. A result is kept until the
// object is forgotten (deleted), so a reconcile that failed before writing status sees the
// same result again (the planner ignores results it already counted).
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "analysis/verdict.h"

namespace mr::reconcile {

class AnalysisTracker {
 public:
  struct Snapshot {
    std::optional<analysis::AnalysisResult> latest;
    bool in_flight = false;
  };

  Snapshot snapshot(const std::string& key) const;
  // Marks a check as started; false when one is already running for `key`.
  bool tryStart(const std::string& key);
  void finish(const std::string& key, analysis::AnalysisResult result);
  void forget(const std::string& key);
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Snapshot> entries_;  // guarded by mu_
};

}  // namespace mr::reconcile
