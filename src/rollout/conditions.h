// Kubernetes-convention conditions and the bounded transition history.
// setCondition keeps lastTransitionTime when the condition's status is unchanged (reason,
// message and observedGeneration are still updated), as metav1.Condition semantics require.
// Thread-safety: pure functions over caller-owned vectors.
#pragma once

#include <string>
#include <vector>

#include "rollout/modelrollout_types.h"

namespace mr::rollout {

// Inserts or updates the condition of `type`. Returns true if anything changed.
bool setCondition(std::vector<Condition>& conditions, const std::string& type,
                  const std::string& status, const std::string& reason, const std::string& message,
                  std::int64_t observed_generation, SystemTime now);

// nullptr when absent.
const Condition* findCondition(const std::vector<Condition>& conditions, const std::string& type);

// Appends an entry and drops the oldest beyond kMaxHistory.
void appendHistory(std::vector<HistoryEntry>& history, HistoryEntry entry);

}  // namespace mr::rollout
