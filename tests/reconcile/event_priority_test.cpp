#include "reconcile/event_priority.h"

#include <gtest/gtest.h>

namespace mr::reconcile {
namespace {

using k8s::QueuePriority;
using nlohmann::json;

json rollout(int generation, json annotations = json::object()) {
  return {{"metadata",
           {{"name", "m"}, {"generation", generation}, {"annotations", std::move(annotations)}}}};
}

TEST(RolloutEventPriority, AbortIsHighUserChangesNormalStatusEchoesLow) {
  const json plain = rollout(1);
  const json aborted = rollout(1, {{"modelrollout.io/abort", "true"}});
  EXPECT_EQ(rolloutEventPriority(&plain, aborted), QueuePriority::kHigh);
  EXPECT_EQ(rolloutEventPriority(nullptr, aborted), QueuePriority::kHigh);
  // The abort annotation unchanged (e.g. our own status write while it is being handled).
  EXPECT_EQ(rolloutEventPriority(&aborted, aborted), QueuePriority::kNormal);
  json echo = aborted;
  echo["status"] = {{"phase", "RolledBack"}};
  EXPECT_EQ(rolloutEventPriority(&aborted, echo), QueuePriority::kLow);
  EXPECT_EQ(rolloutEventPriority(&plain, rollout(2)), QueuePriority::kNormal);
  EXPECT_EQ(rolloutEventPriority(&plain, rollout(1, {{"modelrollout.io/promote", "true"}})),
            QueuePriority::kNormal);
  EXPECT_EQ(rolloutEventPriority(&aborted, plain), QueuePriority::kNormal);  // annotation removed
}

}  // namespace
}  // namespace mr::reconcile
