#include "reconcile/analysis_tracker.h"

namespace mr::reconcile {

AnalysisTracker::Snapshot AnalysisTracker::snapshot(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? Snapshot{} : it->second;
}

bool AnalysisTracker::tryStart(const std::string& key) {
  std::lock_guard lock(mu_);
  auto& entry = entries_[key];
  if (entry.in_flight) return false;
  entry.in_flight = true;
  return true;
}

void AnalysisTracker::finish(const std::string& key, analysis::AnalysisResult result) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;  // forgotten while the check ran: the object is gone
  it->second.in_flight = false;
  it->second.latest = std::move(result);
}

void AnalysisTracker::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

size_t AnalysisTracker::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace mr::reconcile
