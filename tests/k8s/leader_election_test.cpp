#include "k8s/leader_election.h"

#include <gtest/gtest.h>

#include "fake_api_client.h"
#include "test_clock.h"

namespace mr::k8s {
namespace {

using std::chrono::seconds;
using testing::ScriptedApiClient;

LeaderElectionConfig config(const std::string& identity) {
  return {"kube-system", "modelrollout-leader", identity,    Millis(15000),
          Millis(10000), Millis(2000),          Millis(2000)};
}

Json lease(ScriptedApiClient& api) {
  return *api.stored(resources::leases(), "kube-system", "modelrollout-leader");
}

TEST(LeaderElection, ValidatesDurations) {
  EXPECT_TRUE(LeaderElector::validate(config("a")).isOk());
  auto bad = config("a");
  bad.renew_deadline = Millis(15000);
  EXPECT_FALSE(LeaderElector::validate(bad).isOk());
  bad = config("a");
  bad.retry_period = Millis(9000);
  EXPECT_FALSE(LeaderElector::validate(bad).isOk());
  bad = config("a");
  bad.fence_margin = Millis(5001);  // would fence a leader that renews on time
  EXPECT_FALSE(LeaderElector::validate(bad).isOk());
  bad.fence_margin = Millis(-1);
  EXPECT_FALSE(LeaderElector::validate(bad).isOk());
  bad = config("a");
  bad.lease_duration = Millis(15500);  // leaseDurationSeconds is an integer
  EXPECT_FALSE(LeaderElector::validate(bad).isOk());
}

TEST(LeaderElection, CreatesLeaseWhenAbsent) {
  testing::TestClock clock;
  ScriptedApiClient api;
  int started = 0;
  LeaderElector a(api, config("a"), clock, {[&] { ++started; }, nullptr, nullptr});
  EXPECT_TRUE(a.tryAcquireOrRenew());
  EXPECT_TRUE(a.isLeader());
  EXPECT_EQ(started, 1);
  const Json spec = lease(api)["spec"];
  EXPECT_EQ(spec["holderIdentity"], "a");
  EXPECT_EQ(spec["leaseDurationSeconds"], 15);
  EXPECT_EQ(spec["leaseTransitions"], 0);
  EXPECT_EQ(spec["renewTime"], "2027-01-15T08:00:00.000000Z");
}

TEST(LeaderElection, OtherHolderWaitsForLeaseExpiryByLocalObservationTime) {
  testing::TestClock clock;
  ScriptedApiClient api;
  LeaderElector a(api, config("a"), clock);
  LeaderElector b(api, config("b"), clock);
  ASSERT_TRUE(a.tryAcquireOrRenew());
  // b observes the record now; a then dies (stops renewing).
  EXPECT_FALSE(b.tryAcquireOrRenew());
  EXPECT_EQ(b.observedHolder(), "a");
  clock.advance(seconds(14));
  EXPECT_FALSE(b.tryAcquireOrRenew()) << "lease taken before it expired";
  clock.advance(seconds(1));
  EXPECT_TRUE(b.tryAcquireOrRenew());
  const Json spec = lease(api)["spec"];
  EXPECT_EQ(spec["holderIdentity"], "b");
  EXPECT_EQ(spec["leaseTransitions"], 1) << "takeover must increment leaseTransitions";
  EXPECT_EQ(spec["acquireTime"], spec["renewTime"]);
}

TEST(LeaderElection, RenewTimeFromSkewedClockIsIgnored) {
  // The holder's renewTime is far in the past by our clock, but we only just saw the record:
  // it must still count as valid for a full lease duration.
  testing::TestClock clock;
  ScriptedApiClient api;
  api.put(resources::leases(),
          {{"apiVersion", "coordination.k8s.io/v1"},
           {"kind", "Lease"},
           {"metadata", {{"name", "modelrollout-leader"}, {"namespace", "kube-system"}}},
           {"spec",
            {{"holderIdentity", "x"},
             {"leaseDurationSeconds", 15},
             {"renewTime", "2001-01-01T00:00:00.000000Z"},
             {"leaseTransitions", 4}}}});
  LeaderElector b(api, config("b"), clock);
  EXPECT_FALSE(b.tryAcquireOrRenew());
  clock.advance(seconds(16));
  EXPECT_TRUE(b.tryAcquireOrRenew());
  EXPECT_EQ(lease(api)["spec"]["leaseTransitions"], 5);
}

TEST(LeaderElection, HolderRenewsKeepingAcquireTimeAndTransitions) {
  testing::TestClock clock;
  ScriptedApiClient api;
  LeaderElector a(api, config("a"), clock);
  ASSERT_TRUE(a.tryAcquireOrRenew());
  const std::string acquired = lease(api)["spec"]["acquireTime"];
  clock.advance(seconds(2));
  ASSERT_TRUE(a.tryAcquireOrRenew());
  const Json spec = lease(api)["spec"];
  EXPECT_EQ(spec["acquireTime"], acquired);
  EXPECT_EQ(spec["renewTime"], "2027-01-15T08:00:02.000000Z");
  EXPECT_EQ(spec["leaseTransitions"], 0);
  // A renewing leader must keep the other candidate out.
  LeaderElector b(api, config("b"), clock);
  EXPECT_FALSE(b.tryAcquireOrRenew());
}

TEST(LeaderElection, ConflictOnRenewMeansLeadershipLost) {
  testing::TestClock clock;
  ScriptedApiClient api;
  int stopped = 0;
  LeaderElector a(api, config("a"), clock, {nullptr, [&] { ++stopped; }, nullptr});
  ASSERT_TRUE(a.tryAcquireOrRenew());
  // Someone else rewrites the lease behind our back: our cached resourceVersion is stale.
  Json stolen = lease(api);
  stolen["spec"]["holderIdentity"] = "thief";
  api.put(resources::leases(), stolen);
  clock.advance(seconds(2));
  EXPECT_FALSE(a.tryAcquireOrRenew());
  EXPECT_FALSE(a.isLeader());
  EXPECT_EQ(stopped, 1);
}

TEST(LeaderElection, ReleaseEmptiesHolderAndShortensLease) {
  testing::TestClock clock;
  ScriptedApiClient api;
  LeaderElector a(api, config("a"), clock);
  ASSERT_TRUE(a.tryAcquireOrRenew());
  ASSERT_TRUE(a.release().isOk());
  EXPECT_FALSE(a.isLeader());
  const Json spec = lease(api)["spec"];
  EXPECT_EQ(spec["holderIdentity"], "");
  EXPECT_EQ(spec["leaseDurationSeconds"], 1);
  // A successor takes over at once, without waiting 15s.
  LeaderElector b(api, config("b"), clock);
  EXPECT_TRUE(b.tryAcquireOrRenew());
}

TEST(LeaderElection, RunStopsLeadingWhenRenewalsFailPastDeadline) {
  testing::TestClock clock;
  ScriptedApiClient api;
  std::atomic<int> started{0}, stopped{0};
  LeaderElector a(api, config("a"), clock, {[&] { ++started; }, [&] { ++stopped; }, nullptr});
  bool result = true;
  std::thread runner([&] { result = a.run(); });
  while (started == 0)
    RealClock::instance().sleepFor(Millis(1));
  // The API server goes away: every renewal fails.
  for (int i = 0; i < 20; ++i) {
    api.failNext("update", unavailable("down"));
    api.failNext("get", unavailable("down"));
  }
  for (int i = 0; i < 8 && stopped == 0; ++i) {
    clock.advance(seconds(2));
    RealClock::instance().sleepFor(Millis(20));
  }
  runner.join();
  EXPECT_FALSE(result);
  EXPECT_EQ(stopped.load(), 1);
  EXPECT_GE(clock.steadyNow().time_since_epoch(), seconds(10));
}

TEST(LeaderElection, RunReleasesOnStop) {
  testing::TestClock clock;
  ScriptedApiClient api;
  std::atomic<int> started{0};
  LeaderElector a(api, config("a"), clock, {[&] { ++started; }, nullptr, nullptr});
  bool result = false;
  std::thread runner([&] { result = a.run(); });
  while (started == 0)
    RealClock::instance().sleepFor(Millis(1));
  a.stop();
  runner.join();
  EXPECT_TRUE(result);
  EXPECT_EQ(lease(api)["spec"]["holderIdentity"], "");
}

// --- Deadlines and fencing (issue 13, item 10: two leaders) ---

TEST(LeaderElection, LeaseCallsAreBoundedByWhatIsLeftOfTheRenewDeadline) {
  // Before: every lease call had the client's 30 s request timeout against a 15 s lease.
  testing::TestClock clock;
  ScriptedApiClient api;
  LeaderElector a(api, config("a"), clock);
  ASSERT_TRUE(a.tryAcquireOrRenew());  // get (404) + create, as a candidate: a full deadline
  clock.advance(seconds(2));
  ASSERT_TRUE(a.tryAcquireOrRenew());  // t=2: 8 s left of the deadline counted from t=0
  api.failNext("update", unavailable("slow server"));
  clock.advance(seconds(2));
  EXPECT_FALSE(a.tryAcquireOrRenew());  // t=4: 8 s left of the deadline counted from t=2
  EXPECT_TRUE(a.isLeader()) << "one failed renewal within the deadline is not a loss";
  clock.advance(seconds(5));
  ASSERT_TRUE(a.tryAcquireOrRenew());  // t=9: 3 s left
  const auto budgets = api.budgets();
  ASSERT_EQ(budgets.size(), 5u);
  EXPECT_EQ(budgets[0], (std::pair<std::string, std::optional<Millis>>{"get", Millis(10000)}));
  EXPECT_EQ(budgets[1], (std::pair<std::string, std::optional<Millis>>{"create", Millis(10000)}));
  EXPECT_EQ(budgets[2], (std::pair<std::string, std::optional<Millis>>{"update", Millis(8000)}));
  EXPECT_EQ(budgets[3], (std::pair<std::string, std::optional<Millis>>{"update", Millis(8000)}));
  EXPECT_EQ(budgets[4], (std::pair<std::string, std::optional<Millis>>{"update", Millis(3000)}));
}

TEST(LeaderElection, RenewalReturningAfterTheDeadlineLosesLeadershipAtOnce) {
  // Before: the deadline was checked only by run() after the next retry period, so a renewal
  // that hung for 30 s left the replica leading (and writing) for all that time.
  testing::TestClock clock;
  ScriptedApiClient api;
  int stopped = 0;
  LeaderElector a(api, config("a"), clock, {nullptr, [&] { ++stopped; }, nullptr});
  ASSERT_TRUE(a.tryAcquireOrRenew());
  clock.advance(seconds(2));
  api.setOnCall([&](const std::string&) { clock.advance(seconds(9)); });  // hangs, then fails
  api.failNext("update", deadlineExceeded("timed out"));
  EXPECT_FALSE(a.tryAcquireOrRenew());
  EXPECT_FALSE(a.isLeader());
  EXPECT_EQ(stopped, 1);
  EXPECT_FALSE(a.writeWindow().isOk());
}

TEST(LeaderElection, StalledLeaderPastTheRenewDeadlineStopsWithoutCallingTheServer) {
  // Before: a leader whose thread stalled past the renew deadline still renewed from its
  // cached lease (valid for 15 s by its clock) and kept leading.
  testing::TestClock clock;
  ScriptedApiClient api;
  LeaderElector a(api, config("a"), clock);
  ASSERT_TRUE(a.tryAcquireOrRenew());
  const size_t calls = api.budgets().size();
  clock.advance(seconds(10));
  EXPECT_FALSE(a.tryAcquireOrRenew());
  EXPECT_FALSE(a.isLeader());
  EXPECT_EQ(api.budgets().size(), calls) << "no lease call may start past the deadline";
}

TEST(LeaderElection, WriteWindowCountsFromWhenTheRenewalWasSent) {
  // The server may apply a renewal as soon as it is sent, so other replicas may see it from
  // then on; counting the lease from the (late) response would overstate it by the call time.
  testing::TestClock clock;
  ScriptedApiClient api;
  LeaderElector a(api, config("a"), clock);
  ASSERT_TRUE(a.tryAcquireOrRenew());
  clock.advance(seconds(2));
  api.setOnCall([&](const std::string&) { clock.advance(seconds(4)); });  // slow, succeeds
  ASSERT_TRUE(a.tryAcquireOrRenew());
  api.setOnCall(nullptr);
  // Sent at t=2, answered at t=6: 2 + 15 - 2 (margin) - 6.
  auto window = a.writeWindow();
  ASSERT_TRUE(window.isOk()) << window.status().toString();
  EXPECT_EQ(*window, Millis(9000));
  // The renew deadline is counted from the sending time as well: 2 + 10 - 6.
  ASSERT_TRUE(a.tryAcquireOrRenew());
  EXPECT_EQ(api.budgets().back().second, Millis(6000));
}

TEST(LeaderElection, WriteWindowClosesBeforeTheLeaseCanExpireEvenWhileStillLeading) {
  testing::TestClock clock;
  ScriptedApiClient api;
  LeaderElector a(api, config("a"), clock);
  LeaderElector b(api, config("b"), clock);
  EXPECT_FALSE(a.writeWindow().isOk()) << "a candidate must not write";
  ASSERT_TRUE(a.tryAcquireOrRenew());
  EXPECT_EQ(*a.writeWindow(), Millis(13000));
  EXPECT_FALSE(b.tryAcquireOrRenew());  // b sees a's lease now
  // a's elector thread is stuck (nothing calls tryAcquireOrRenew): isLeader() stays true,
  // but the fence closes fence_margin before b may take over.
  clock.advance(Millis(12999));
  EXPECT_EQ(*a.writeWindow(), Millis(1));
  clock.advance(Millis(1));
  EXPECT_TRUE(a.isLeader());
  auto closed = a.writeWindow();
  EXPECT_FALSE(closed.isOk());
  EXPECT_EQ(closed.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(b.tryAcquireOrRenew()) << "b's takeover comes only after a's writes stopped";
  clock.advance(seconds(2));
  EXPECT_TRUE(b.tryAcquireOrRenew());
  EXPECT_TRUE(b.writeWindow().isOk());
}

}  // namespace
}  // namespace mr::k8s
