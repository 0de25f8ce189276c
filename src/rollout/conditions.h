// Kubernetes-convention conditions and the bounded transition history.
// setCondition keeps lastTransitionTime when the condition's status is unchanged (reason,
// message and observedGeneration are still updated), as metav1.Condition semantics require.
// What it stores always satisfies the metav1.Condition schema of the CRD: a reason matching
// ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$ of at most 1024 bytes (conditionReason) and a
// message of at most 32768 bytes (conditionMessage), so a status write is never refused.
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

inline constexpr std::size_t kMaxConditionReason = 1024;
inline constexpr std::size_t kMaxConditionMessage = 32768;

// `reason` made valid for metav1.Condition, CamelCase: characters outside [A-Za-z0-9_,:] are
// dropped and the letter after them and the first letter are upper-cased ("route not-found" ->
// "RouteNotFound"), leading non-letters and trailing ',' or ':' are dropped, at most
// kMaxConditionReason bytes; "Unknown" when nothing is left.
std::string conditionReason(const std::string& reason);

// `message` cut to kMaxConditionMessage bytes on a UTF-8 character boundary.
std::string conditionMessage(const std::string& message);

// nullptr when absent.
const Condition* findCondition(const std::vector<Condition>& conditions, const std::string& type);

// Appends an entry and drops the oldest beyond kMaxHistory.
void appendHistory(std::vector<HistoryEntry>& history, HistoryEntry entry);

}  // namespace mr::rollout
