#include "k8s/call_timeout.h"

namespace mr::k8s {

thread_local std::optional<CallTimeout::Bound> CallTimeout::current_;

CallTimeout::CallTimeout(std::chrono::milliseconds budget) : previous_(current_) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  if (!current_ || deadline < current_->deadline) current_ = Bound{deadline, budget};
}

CallTimeout::~CallTimeout() {
  current_ = previous_;
}

std::optional<std::chrono::milliseconds> CallTimeout::remaining() {
  if (!current_) return std::nullopt;
  return std::chrono::ceil<std::chrono::milliseconds>(current_->deadline -
                                                      std::chrono::steady_clock::now());
}

std::optional<std::chrono::milliseconds> CallTimeout::budget() {
  if (!current_) return std::nullopt;
  return current_->budget;
}

}  // namespace mr::k8s
