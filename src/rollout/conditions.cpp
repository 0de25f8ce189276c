#include "rollout/conditions.h"

#include <algorithm>

namespace mr::rollout {

bool setCondition(std::vector<Condition>& conditions, const std::string& type,
                  const std::string& status, const std::string& reason, const std::string& message,
                  std::int64_t observed_generation, SystemTime now) {
  auto it = std::find_if(conditions.begin(), conditions.end(),
                         [&](const Condition& c) { return c.type == type; });
  if (it == conditions.end()) {
    conditions.push_back({type, status, reason, message, now, observed_generation});
    return true;
  }
  Condition updated{type,
                    status,
                    reason,
                    message,
                    it->status == status ? it->last_transition_time : now,
                    observed_generation};
  if (updated == *it) return false;
  *it = std::move(updated);
  return true;
}

const Condition* findCondition(const std::vector<Condition>& conditions, const std::string& type) {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

void appendHistory(std::vector<HistoryEntry>& history, HistoryEntry entry) {
  history.push_back(std::move(entry));
  if (history.size() > kMaxHistory) {
    history.erase(history.begin(), history.end() - static_cast<std::ptrdiff_t>(kMaxHistory));
  }
}

}  // namespace mr::rollout
