#include "rollout/conditions.h"

#include <algorithm>

namespace mr::rollout {
namespace {

bool isAsciiLetter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool isAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::string conditionReason(const std::string& reason) {
  std::string out;
  bool upper_next = false;
  for (char c : reason) {
    const bool allowed = isAsciiLetter(c) || isAsciiDigit(c) || c == '_' || c == ',' || c == ':';
    if (!allowed || (out.empty() && !isAsciiLetter(c))) {
      upper_next = !out.empty();
      continue;
    }
    if ((upper_next || out.empty()) && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    upper_next = false;
    out.push_back(c);
    if (out.size() == kMaxConditionReason) break;
  }
  while (!out.empty() && (out.back() == ',' || out.back() == ':'))
    out.pop_back();
  return out.empty() ? "Unknown" : out;
}

std::string conditionMessage(const std::string& message) {
  if (message.size() <= kMaxConditionMessage) return message;
  std::size_t end = kMaxConditionMessage;
  // Back off continuation bytes (10xxxxxx) so no character is cut in half.
  while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80)
    --end;
  return message.substr(0, end);
}

bool setCondition(std::vector<Condition>& conditions, const std::string& type,
                  const std::string& status, const std::string& raw_reason,
                  const std::string& raw_message, std::int64_t observed_generation,
                  SystemTime now) {
  const std::string reason = conditionReason(raw_reason);
  const std::string message = conditionMessage(raw_message);
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
