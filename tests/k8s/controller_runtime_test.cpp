#include "k8s/controller_runtime.h"

#include <gtest/gtest.h>

#include "fake_api_client.h"
#include "test_clock.h"

namespace mr::k8s {
namespace {

using std::chrono::milliseconds;
using testing::makeList;
using testing::ScriptedApiClient;

class ScriptedReconciler : public Reconciler {
 public:
  ReconcileResult reconcile(const ObjectKey& key) override {
    std::lock_guard lock(mu_);
    seen_.push_back(key.toString());
    if (results_.empty()) return ReconcileResult::done();
    ReconcileResult r = results_.front();
    results_.erase(results_.begin());
    return r;
  }
  void push(ReconcileResult r) {
    std::lock_guard lock(mu_);
    results_.push_back(r);
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<ReconcileResult> results_;
  std::vector<std::string> seen_;
};

Json owned(const std::string& name, Json labels, Json owner_refs = Json::array()) {
  return {{"metadata",
           {{"namespace", "ml"},
            {"name", name},
            {"labels", labels},
            {"ownerReferences", owner_refs},
            {"resourceVersion", "1"}}}};
}

TEST(DefaultPrimaryPriority, UserChangesAreNormalAndStatusOnlyUpdatesLow) {
  const Json before = {{"metadata", {{"name", "m"}, {"generation", 1}, {"resourceVersion", "1"}}},
                       {"status", {{"phase", "Healthy"}}}};
  EXPECT_EQ(defaultPrimaryPriority(nullptr, before), QueuePriority::kNormal);
  EXPECT_EQ(defaultPrimaryPriority(&before, before), QueuePriority::kNormal);  // delete
  Json status_only = before;
  status_only["metadata"]["resourceVersion"] = "2";
  status_only["status"]["phase"] = "Progressing";
  EXPECT_EQ(defaultPrimaryPriority(&before, status_only), QueuePriority::kLow);
  Json spec_change = status_only;
  spec_change["metadata"]["generation"] = 2;
  EXPECT_EQ(defaultPrimaryPriority(&before, spec_change), QueuePriority::kNormal);
  Json annotated = status_only;
  annotated["metadata"]["annotations"] = {{"modelrollout.io/promote", "true"}};
  EXPECT_EQ(defaultPrimaryPriority(&before, annotated), QueuePriority::kNormal);
}

TEST(OwnerKey, LabelFirstThenOwnerReference) {
  const ResourceType& mr = resources::modelRollouts();
  EXPECT_EQ(ownerKeyOf(owned("x-canary", {{"modelrollout.io/rollout", "x"}}), mr),
            (ObjectKey{"ml", "x"}));
  EXPECT_EQ(ownerKeyOf(owned("y-stable", Json::object(),
                             {{{"apiVersion", "modelrollout.io/v1alpha1"},
                               {"kind", "ModelRollout"},
                               {"name", "y"}}}),
                       mr),
            (ObjectKey{"ml", "y"}));
  EXPECT_EQ(ownerKeyOf(owned("z", Json::object(),
                             {{{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", "z"}}}),
                       mr),
            std::nullopt);
}

class RuntimeTest : public ::testing::Test {
 protected:
  ControllerOptions options() {
    ControllerOptions o;
    o.owned = {resources::deployments()};
    o.rate_limit = {milliseconds(5), milliseconds(1000)};
    return o;
  }
  testing::TestClock clock_;
  ScriptedApiClient api_;
  ScriptedReconciler reconciler_;
};

TEST_F(RuntimeTest, ErrorPolicy) {
  ControllerRuntime runtime(api_, clock_, options());
  WorkQueue& q = runtime.queue();
  // Error: rate-limited requeue with growing delay.
  reconciler_.push(ReconcileResult::failed(unavailable("boom")));
  reconciler_.push(ReconcileResult::failed(unavailable("boom")));
  runtime.processKey(reconciler_, "ml/a");
  EXPECT_EQ(q.numRequeues("ml/a"), 1);
  clock_.advance(milliseconds(5));
  ASSERT_EQ(q.tryGet(), "ml/a");
  runtime.processKey(reconciler_, "ml/a");
  q.done("ml/a");
  EXPECT_EQ(q.numRequeues("ml/a"), 2);
  clock_.advance(milliseconds(9));
  EXPECT_EQ(q.tryGet(), std::nullopt) << "second failure must wait 10ms";
  clock_.advance(milliseconds(1));
  ASSERT_EQ(q.tryGet(), "ml/a");
  // requeue_after: forget the failures and come back exactly then.
  reconciler_.push(ReconcileResult::requeueAfter(milliseconds(30000)));
  runtime.processKey(reconciler_, "ml/a");
  q.done("ml/a");
  EXPECT_EQ(q.numRequeues("ml/a"), 0);
  clock_.advance(milliseconds(29999));
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock_.advance(milliseconds(1));
  ASSERT_EQ(q.tryGet(), "ml/a");
  // Success: forget, nothing scheduled.
  runtime.processKey(reconciler_, "ml/a");
  q.done("ml/a");
  clock_.advance(milliseconds(100000));
  EXPECT_EQ(q.tryGet(), std::nullopt);
}

TEST_F(RuntimeTest, WorkersWaitForSyncThenReconcileMappedKeys) {
  std::vector<std::string> outcomes;
  std::mutex mu;
  ControllerRuntime runtime(api_, RealClock::instance(), options(),
                            {[&](const std::string& r, double) {
                              std::lock_guard lock(mu);
                              outcomes.push_back(r);
                            }});
  runtime.startWorkers(reconciler_);
  runtime.enqueue({"ml", "early"});
  RealClock::instance().sleepFor(milliseconds(50));
  EXPECT_TRUE(reconciler_.seen().empty()) << "reconciled before the caches synced";
  EXPECT_FALSE(runtime.hasSynced());

  // The scripted client answers lists in call order; both informers get the same shape.
  // The rollout carries the rollout label too, so whichever informer gets it yields one key.
  Json rollout = {{"metadata",
                   {{"namespace", "ml"},
                    {"name", "r1"},
                    {"resourceVersion", "1"},
                    {"labels", {{"modelrollout.io/rollout", "r1"}}}}}};
  api_.pushList(makeList({rollout}, "1"));
  api_.pushList(makeList({owned("r2-canary", {{"modelrollout.io/rollout", "r2"}})}, "1"));
  runtime.startInformers();
  for (int i = 0; i < 2000 && reconciler_.seen().size() < 3; ++i) {
    RealClock::instance().sleepFor(milliseconds(1));
  }
  EXPECT_TRUE(runtime.hasSynced());
  auto seen = reconciler_.seen();
  std::sort(seen.begin(), seen.end());
  // Which informer got which list is racy, so accept either mapping of the two lists.
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_NE(std::find(seen.begin(), seen.end(), "ml/early"), seen.end());
  runtime.stop();
  std::lock_guard lock(mu);
  EXPECT_EQ(outcomes.size(), seen.size());
}

TEST_F(RuntimeTest, StopDrainsInFlightReconcile) {
  struct Slow : Reconciler {
    std::atomic<bool> finished{false};
    ReconcileResult reconcile(const ObjectKey&) override {
      RealClock::instance().sleepFor(milliseconds(100));
      finished = true;
      return ReconcileResult::done();
    }
  } slow;
  api_.pushList(makeList({}, "1"));
  api_.pushList(makeList({}, "1"));
  ControllerRuntime runtime(api_, RealClock::instance(), options());
  runtime.startInformers();
  runtime.startWorkers(slow);
  while (!runtime.hasSynced())
    RealClock::instance().sleepFor(milliseconds(1));
  runtime.enqueue({"ml", "x"});
  while (runtime.queue().processingLen() == 0)
    RealClock::instance().sleepFor(milliseconds(1));
  runtime.stop();
  EXPECT_TRUE(slow.finished.load());
}

}  // namespace
}  // namespace mr::k8s
