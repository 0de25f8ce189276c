#include "k8s/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "test_clock.h"

namespace mr::k8s {
namespace {

using std::chrono::milliseconds;

TEST(WorkQueue, AddDedupesWhileQueued) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.add("a");
  q.add("b");
  q.add("a");
  EXPECT_EQ(q.len(), 2u);
  EXPECT_EQ(q.tryGet(), "a");
  EXPECT_EQ(q.tryGet(), "b");
  EXPECT_EQ(q.tryGet(), std::nullopt);
}

TEST(WorkQueue, KeyBeingProcessedIsNotHandedOutAgainUntilDone) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.add("a");
  ASSERT_EQ(q.tryGet(), "a");
  q.add("a");  // changed while a worker holds it
  q.add("a");
  EXPECT_EQ(q.tryGet(), std::nullopt) << "same key handed to a second worker";
  EXPECT_EQ(q.len(), 0u);
  q.done("a");
  EXPECT_EQ(q.len(), 1u) << "re-add while processing must requeue exactly once at done()";
  EXPECT_EQ(q.tryGet(), "a");
  q.done("a");
  EXPECT_EQ(q.tryGet(), std::nullopt);
}

TEST(WorkQueue, HigherPriorityIsHandedOutFirstAndFifoWithinALevel) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.add("low1", QueuePriority::kLow);
  q.add("n1");
  q.add("low2", QueuePriority::kLow);
  q.add("high", QueuePriority::kHigh);
  q.add("n2", QueuePriority::kNormal);
  EXPECT_EQ(q.len(), 5u);
  std::vector<std::string> order;
  while (auto key = q.tryGet())
    order.push_back(*key);
  EXPECT_EQ(order, (std::vector<std::string>{"high", "n1", "n2", "low1", "low2"}));
}

TEST(WorkQueue, ReAddAtHigherPriorityPromotesAWaitingKeyOnce) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.add("a", QueuePriority::kLow);
  q.add("b", QueuePriority::kNormal);
  q.add("a", QueuePriority::kHigh);  // promoted past b
  q.add("a", QueuePriority::kLow);   // a lower re-add never demotes
  EXPECT_EQ(q.len(), 2u);
  EXPECT_EQ(q.tryGet(), "a");
  EXPECT_EQ(q.tryGet(), "b");
  EXPECT_EQ(q.tryGet(), std::nullopt) << "the stale low entry of a must not hand it out again";
  q.done("a");
  q.done("b");
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueue, KeyAddedWhileProcessingKeepsItsPriorityAtDone) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.add("a");
  ASSERT_EQ(q.tryGet(), "a");
  q.add("a", QueuePriority::kHigh);
  q.add("b", QueuePriority::kNormal);
  EXPECT_EQ(q.len(), 1u) << "a is still being processed";
  q.done("a");
  EXPECT_EQ(q.tryGet(), "a");
  EXPECT_EQ(q.tryGet(), "b");
}

TEST(WorkQueue, DelayedKeysComeBackAtLowPriority) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.addAfter("timer", milliseconds(10));
  clock.advance(milliseconds(10));
  q.add("user");
  EXPECT_EQ(q.tryGet(), "user");
  EXPECT_EQ(q.tryGet(), "timer");
}

TEST(WorkQueue, DoneWithoutReAddDoesNotRequeue) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.add("a");
  ASSERT_EQ(q.tryGet(), "a");
  q.done("a");
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueue, AddAfterBecomesReadyAtDeadline) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.addAfter("a", milliseconds(100));
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock.advance(milliseconds(99));
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock.advance(milliseconds(1));
  EXPECT_EQ(q.tryGet(), "a");
}

TEST(WorkQueue, AddAfterKeepsEarliestDeadline) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.addAfter("a", milliseconds(500));
  q.addAfter("a", milliseconds(100));
  q.addAfter("a", milliseconds(300));  // later: ignored
  EXPECT_EQ(q.delayedLen(), 1u);
  clock.advance(milliseconds(100));
  EXPECT_EQ(q.tryGet(), "a");
  q.done("a");
  clock.advance(milliseconds(500));
  EXPECT_EQ(q.tryGet(), std::nullopt) << "superseded later deadline fired again";
}

TEST(WorkQueue, AddAfterOfQueuedKeyDoesNotDuplicate) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.add("a");
  q.addAfter("a", milliseconds(10));
  clock.advance(milliseconds(10));
  EXPECT_EQ(q.len(), 1u);
}

TEST(WorkQueue, RateLimitedBackoffDoublesFromFiveMillisAndForgetResets) {
  testing::TestClock clock;
  WorkQueue q(clock, RateLimitPolicy{milliseconds(5), milliseconds(60)});
  const long expected[] = {5, 10, 20, 40, 60, 60};
  for (long want : expected) {
    EXPECT_EQ(q.nextBackoff("a").count(), want);
    q.addRateLimited("a");
    clock.advance(milliseconds(want - 1));
    EXPECT_EQ(q.tryGet(), std::nullopt) << "ready before its " << want << "ms backoff";
    clock.advance(milliseconds(1));
    ASSERT_EQ(q.tryGet(), "a");
    q.done("a");
  }
  EXPECT_EQ(q.numRequeues("a"), 6);
  q.forget("a");
  EXPECT_EQ(q.numRequeues("a"), 0);
  EXPECT_EQ(q.nextBackoff("a").count(), 5);
}

TEST(WorkQueue, BackoffIsPerKey) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.addRateLimited("a");
  q.addRateLimited("a");
  EXPECT_EQ(q.numRequeues("a"), 2);
  EXPECT_EQ(q.numRequeues("b"), 0);
  EXPECT_EQ(q.nextBackoff("b").count(), 5);
}

TEST(WorkQueue, BlockingGetWakesWhenFakeClockReachesDeadline) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.addAfter("a", milliseconds(1000));
  std::atomic<bool> got{false};
  std::thread worker([&] {
    auto key = q.get();
    got = key.has_value() && *key == "a";
  });
  RealClock::instance().sleepFor(milliseconds(20));
  EXPECT_FALSE(got.load());
  clock.advance(milliseconds(1000));
  worker.join();
  EXPECT_TRUE(got.load());
}

TEST(WorkQueue, ShutDownWakesBlockedGet) {
  testing::TestClock clock;
  WorkQueue q(clock);
  std::optional<std::string> result = "unset";
  std::thread worker([&] { result = q.get(); });
  RealClock::instance().sleepFor(milliseconds(10));
  q.shutDown();
  worker.join();
  EXPECT_EQ(result, std::nullopt);
  q.add("a");
  EXPECT_EQ(q.len(), 0u) << "adds after shutdown are dropped";
}

// A reserved lane (get(kHigh)) takes only kHigh keys; routine keys stay for general workers.
TEST(WorkQueue, ReservedLaneTakesOnlyHighPriorityKeys) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.add("routine", QueuePriority::kNormal);
  q.add("echo", QueuePriority::kLow);
  EXPECT_EQ(q.tryGet(QueuePriority::kHigh), std::nullopt);
  q.add("abort", QueuePriority::kHigh);
  EXPECT_EQ(q.tryGet(QueuePriority::kHigh), "abort");
  EXPECT_EQ(q.tryGet(QueuePriority::kHigh), std::nullopt);
  q.add("echo", QueuePriority::kHigh);  // promoted while waiting: now it is the lane's
  EXPECT_EQ(q.tryGet(QueuePriority::kHigh), "echo");
  EXPECT_EQ(q.tryGet(), "routine");
}

// With a reserved waiter blocked, a routine key still wakes a general waiter (the two wait on
// separate condition variables, so no notification is spent on the wrong one), and a kHigh key
// wakes the reserved one.
TEST(WorkQueue, BlockedReservedLaneNeverSwallowsARoutineWakeup) {
  testing::TestClock clock;
  WorkQueue q(clock);
  std::optional<std::string> lane = "unset";
  std::optional<std::string> general = "unset";
  std::thread lane_worker([&] { lane = q.get(QueuePriority::kHigh); });
  std::thread general_worker([&] { general = q.get(); });
  RealClock::instance().sleepFor(milliseconds(20));
  q.add("routine", QueuePriority::kNormal);
  general_worker.join();
  EXPECT_EQ(general, "routine");
  RealClock::instance().sleepFor(milliseconds(20));
  EXPECT_EQ(lane, "unset") << "the lane took nothing";
  q.add("abort", QueuePriority::kHigh);
  lane_worker.join();
  EXPECT_EQ(lane, "abort");
  q.done("routine");
  q.done("abort");
  std::thread blocked([&] { lane = q.get(QueuePriority::kHigh); });
  RealClock::instance().sleepFor(milliseconds(10));
  q.shutDown();
  blocked.join();
  EXPECT_EQ(lane, std::nullopt) << "shutdown wakes the lane";
}

TEST(WorkQueue, ShutDownWithDrainWaitsForInFlightKeys) {
  testing::TestClock clock;
  WorkQueue q(clock);
  q.add("a");
  ASSERT_EQ(q.tryGet(), "a");
  std::atomic<bool> drained{false};
  std::thread closer([&] {
    q.shutDownWithDrain();
    drained = true;
  });
  RealClock::instance().sleepFor(milliseconds(30));
  EXPECT_FALSE(drained.load()) << "drain returned while a key was still processing";
  q.done("a");
  closer.join();
  EXPECT_TRUE(drained.load());
}

TEST(WorkQueue, ConcurrentWorkersNeverHoldTheSameKey) {
  RealClock clock;
  WorkQueue q(clock);
  std::mutex mu;
  std::set<std::string> in_flight;
  std::atomic<int> violations{0}, processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.get()) {
        {
          std::lock_guard lock(mu);
          if (!in_flight.insert(*key).second) ++violations;
        }
        RealClock::instance().sleepFor(milliseconds(1));
        {
          std::lock_guard lock(mu);
          in_flight.erase(*key);
        }
        ++processed;
        q.done(*key);
      }
    });
  }
  for (int i = 0; i < 300; ++i)
    q.add("k" + std::to_string(i % 5));
  RealClock::instance().sleepFor(milliseconds(100));
  q.shutDownWithDrain();
  for (auto& t : workers)
    t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GE(processed.load(), 5);
}

}  // namespace
}  // namespace mr::k8s
