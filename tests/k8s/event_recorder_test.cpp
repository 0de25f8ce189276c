#include "k8s/event_recorder.h"

#include <gtest/gtest.h>

#include "fake_api_client.h"
#include "test_clock.h"

namespace mr::k8s {
namespace {

using testing::ScriptedApiClient;

const Json kRollout = {{"apiVersion", "modelrollout.io/v1alpha1"},
                       {"kind", "ModelRollout"},
                       {"metadata", {{"name", "fraud"}, {"namespace", "ml"}, {"uid", "u-1"}}}};

TEST(EventRecorder, CreatesCoreV1EventWithInvolvedObjectAndSource) {
  testing::TestClock clock;
  ScriptedApiClient api;
  EventRecorder recorder(api, clock, {"modelrollout-controller", "node-1", 10, 10});
  ASSERT_TRUE(recorder.record(kRollout, EventType::kWarning, "RolledBack", "error rate 5%"));
  recorder.flush();
  auto writes = api.writes();
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].first, "create");
  const Json& e = writes[0].second;
  EXPECT_EQ(e["kind"], "Event");
  EXPECT_EQ(e["metadata"]["namespace"], "ml");
  EXPECT_EQ(e["metadata"]["name"].get<std::string>().rfind("fraud.", 0), 0u);
  EXPECT_EQ(e["involvedObject"]["kind"], "ModelRollout");
  EXPECT_EQ(e["involvedObject"]["uid"], "u-1");
  EXPECT_EQ(e["reason"], "RolledBack");
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["source"]["component"], "modelrollout-controller");
  EXPECT_EQ(e["count"], 1);
  EXPECT_EQ(e["firstTimestamp"], "2027-01-15T08:00:00Z");
}

TEST(EventRecorder, RepeatsArePatchedWithCountAndLastTimestamp) {
  testing::TestClock clock;
  ScriptedApiClient api;
  EventRecorder recorder(api, clock);
  recorder.record(kRollout, EventType::kNormal, "StepAdvanced", "weight 10");
  recorder.flush();
  clock.advance(std::chrono::seconds(30));
  recorder.record(kRollout, EventType::kNormal, "StepAdvanced", "weight 10");
  recorder.record(kRollout, EventType::kNormal, "StepAdvanced", "weight 50");  // different
  recorder.flush();
  auto writes = api.writes();
  ASSERT_EQ(writes.size(), 3u);
  EXPECT_EQ(writes[1].first, "patch");
  EXPECT_EQ(writes[1].second["count"], 2);
  EXPECT_EQ(writes[1].second["lastTimestamp"], "2027-01-15T08:00:30Z");
  EXPECT_EQ(writes[2].first, "create");
  const std::string name = writes[0].second["metadata"]["name"];
  EXPECT_EQ((*api.stored(resources::coreEvents(), "ml", name))["count"], 2);
}

TEST(EventRecorder, VanishedAggregateIsCreatedAgain) {
  testing::TestClock clock;
  ScriptedApiClient api;
  EventRecorder recorder(api, clock);
  recorder.record(kRollout, EventType::kNormal, "R", "m");
  recorder.flush();
  api.failNext("patch", Status(StatusCode::kNotFound, "gone", 404, "NotFound"));
  recorder.record(kRollout, EventType::kNormal, "R", "m");
  recorder.flush();
  auto writes = api.writes();
  ASSERT_EQ(writes.size(), 3u);
  EXPECT_EQ(writes[2].first, "create");
}

TEST(EventRecorder, BoundedQueueDropsInsteadOfBlocking) {
  testing::TestClock clock;
  ScriptedApiClient api;
  EventRecorder recorder(api, clock, {"c", "h", 2, 10});
  recorder.stop();  // no writer: the queue can only fill
  int accepted = 0;
  for (int i = 0; i < 5; ++i)
    accepted += recorder.record(kRollout, EventType::kNormal, "R", "m");
  EXPECT_EQ(accepted, 0);
  EXPECT_EQ(recorder.dropped(), 5u);
}

TEST(EventRecorder, QueueLimitCountsDrops) {
  testing::TestClock clock;
  ScriptedApiClient api;
  EventRecorder recorder(api, clock, {"c", "h", 3, 10});
  int accepted = 0;
  for (int i = 0; i < 200; ++i) {
    accepted += recorder.record(kRollout, EventType::kNormal, "R" + std::to_string(i), "m");
  }
  recorder.flush();
  EXPECT_EQ(static_cast<uint64_t>(accepted), recorder.written());
  EXPECT_EQ(recorder.dropped() + recorder.written(), 200u);
}

}  // namespace
}  // namespace mr::k8s

namespace mr::k8s {
namespace {

TEST(EventRecorder, TransientFailuresAreRetriedWithBackoff) {
  testing::TestClock clock;
  testing::ScriptedApiClient api;
  api.failNext("create", Status(StatusCode::kUnavailable, "injected fault", 500, "InternalError"));
  api.failNext("create", Status(StatusCode::kUnavailable, "slow down", 429, "TooManyRequests"));
  EventRecorder recorder(api, clock);
  ASSERT_TRUE(recorder.record(kRollout, EventType::kNormal, "Promoted", "2.4.0 is stable"));
  // The writer sleeps on the fake clock between attempts; move time until the third attempt.
  for (int i = 0; i < 5000 && api.writes().size() < 3; ++i) {
    clock.advance(std::chrono::milliseconds(50));
    RealClock::instance().sleepFor(std::chrono::milliseconds(1));
  }
  recorder.flush();
  ASSERT_EQ(api.writes().size(), 3u) << "two transient failures, then success";
  const std::string name = api.writes()[2].second["metadata"]["name"];
  ASSERT_TRUE(api.stored(resources::coreEvents(), "ml", name).has_value());
  EXPECT_EQ(recorder.written(), 1u);
}

TEST(EventRecorder, PermanentFailuresAreNotRetried) {
  testing::TestClock clock;
  testing::ScriptedApiClient api;
  api.failNext("create", Status(StatusCode::kInvalidArgument, "event is invalid", 422, "Invalid"));
  EventRecorder recorder(api, clock);
  recorder.record(kRollout, EventType::kNormal, "Promoted", "2.4.0 is stable");
  recorder.flush();
  EXPECT_EQ(api.writes().size(), 1u);
}

}  // namespace
}  // namespace mr::k8s
