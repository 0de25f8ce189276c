// Regression tests for issue 15 item 5 ("malformed JSON from the API server crashes the
// process") and for what the fuzzers (fuzz/, docs/fuzzing.md) found: every wrong-typed field
// ("metadata": 5, "resourceVersion": {}, "items": "x", "spec": []) must become an error Status
// or a skipped object. Before the fix each of these threw nlohmann::json::type_error (or
// YAML::BadSubscript) out of the reflector thread or the loader, and std::terminate ended the
// controller.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "common/guarded_loop.h"
#include "fake_api_client.h"
#include "k8s/api_status.h"
#include "k8s/controller_runtime.h"
#include "k8s/informer.h"
#include "k8s/kube_config.h"
#include "k8s/label_selector.h"
#include "k8s/leader_election.h"
#include "k8s/object_key.h"
#include "k8s/reflector.h"
#include "k8s/watch_parser.h"
#include "rollout/modelrollout_parse.h"
#include "rollout/status_json.h"
#include "test_clock.h"

namespace mr::k8s {
namespace {

using testing::event;
using testing::makeList;
using testing::makeObject;
using testing::ScriptedApiClient;
using testing::WatchScript;
using State = Reflector::State;

class MalformedInputTest : public ::testing::Test {
 protected:
  testing::TestClock clock_;
  ScriptedApiClient api_;
  InformerOptions options_;
  Informer informer_{api_, resources::configMaps(), options_, clock_};
  Reflector reflector_{api_, resources::configMaps(), {}, informer_, clock_, [] { return 0.0; }};
};

TEST(WatchParserMalformed, WrongTypedTypeOrObjectIsAnErrorNotAThrow) {
  for (const char* line : {R"({"type":5,"object":{}})", R"({"type":"ADDED","object":"x"})",
                           R"({"type":"ADDED","object":[]})", R"({"type":null})", "[1,2]",
                           R"("just a string")", R"({"type":"ADDED","object":{"metadata":5}})"}) {
    Result<WatchEvent> parsed(internalError("unset"));
    ASSERT_NO_THROW(parsed = parseWatchEvent(line)) << line;
    if (parsed.isOk()) {
      // A frame that is well-formed at the top level reaches the reflector, which copes below.
      EXPECT_TRUE(parsed->object.is_object()) << line;
    }
  }
  EXPECT_FALSE(parseWatchEvent(R"({"type":5,"object":{}})").isOk());
  EXPECT_FALSE(parseWatchEvent(R"({"type":"ADDED","object":"x"})").isOk());
}

TEST_F(MalformedInputTest, ListWithMetadataNumberAndItemsStringDoesNotThrow) {
  api_.pushList(Json::parse(R"({"kind":"List","metadata":5,"items":"x"})"));
  State next = State::kStopped;
  ASSERT_NO_THROW(next = reflector_.step());
  EXPECT_EQ(next, State::kWatch);
  EXPECT_EQ(reflector_.lastResourceVersion(), "");
  EXPECT_TRUE(informer_.hasSynced());
  EXPECT_EQ(informer_.size(), 0u);
}

TEST_F(MalformedInputTest, ListResourceVersionObjectAndContinueNumberAreIgnored) {
  api_.pushList(Json::parse(
      R"({"metadata":{"resourceVersion":{},"continue":7},"items":[{"metadata":{"name":"a","namespace":"ns","resourceVersion":"3"}}]})"));
  ASSERT_NO_THROW(reflector_.step());
  EXPECT_EQ(reflector_.lastResourceVersion(), "");
  EXPECT_NE(informer_.get("ns", "a"), nullptr);
}

TEST_F(MalformedInputTest, ListItemsThatAreNotObjectsOrLackANameAreSkipped) {
  api_.pushList(Json::parse(R"({"metadata":{"resourceVersion":"9"},"items":[
      "x", 5, [], {"metadata":5}, {"metadata":{"name":{}}}, {"spec":[]},
      {"metadata":{"name":"good","namespace":"ns","resourceVersion":[1]},"spec":[]}]})"));
  ASSERT_NO_THROW(reflector_.step());
  EXPECT_EQ(reflector_.lastResourceVersion(), "9");
  ASSERT_EQ(informer_.size(), 1u);
  EXPECT_NE(informer_.get("ns", "good"), nullptr);
}

TEST_F(MalformedInputTest, ListBodyThatIsNotAnObjectBacksOffAndRelists) {
  api_.pushList(Json::parse(R"([1,2,3])"));
  EXPECT_EQ(reflector_.step(), State::kBackoff);
  EXPECT_EQ(reflector_.afterBackoff(), State::kList);
  EXPECT_FALSE(informer_.hasSynced());
}

TEST_F(MalformedInputTest, WatchEventsWithWrongTypedMetadataAreSkippedNotThrown) {
  api_.pushList(makeList({makeObject("ns", "a", "1")}, "1"));
  api_.pushWatch(WatchScript{
      {event(WatchEventType::kAdded, Json::parse(R"({"metadata":5})")),
       event(WatchEventType::kModified,
             Json::parse(R"({"metadata":{"name":"a","namespace":"ns","resourceVersion":{}}})")),
       event(WatchEventType::kAdded, Json::parse(R"({"metadata":[],"spec":[]})")),
       event(WatchEventType::kBookmark, Json::parse(R"({"metadata":{"resourceVersion":[]}})")),
       event(WatchEventType::kAdded, makeObject("ns", "b", "5"))},
      Status::ok()});
  ASSERT_EQ(reflector_.step(), State::kWatch);
  ASSERT_NO_THROW(reflector_.step());
  EXPECT_EQ(informer_.size(), 2u);
  EXPECT_NE(informer_.get("ns", "b"), nullptr);
  EXPECT_EQ(reflector_.lastResourceVersion(), "5");
}

TEST_F(MalformedInputTest, ErrorEventWithWrongTypedStatusFieldsIsAnErrorNotAThrow) {
  api_.pushList(makeList({}, "1"));
  api_.pushWatch(WatchScript{
      {event(WatchEventType::kError, Json::parse(R"({"code":"410","reason":5,"message":[]})"))},
      Status::ok()});
  ASSERT_EQ(reflector_.step(), State::kWatch);
  State next = State::kStopped;
  ASSERT_NO_THROW(next = reflector_.step());
  EXPECT_EQ(next, State::kBackoff);
  EXPECT_EQ(reflector_.lastError().httpCode(), 500);
}

// A sink that throws stands for any bug or input no check anticipated on the reflector thread.
struct ThrowingSink : ReflectorSink {
  void replace(std::vector<Json>, const std::string&) override {
    throw std::runtime_error("sink exploded");
  }
  void apply(WatchEventType, Json) override {}
};

TEST(ReflectorTopLevelHandler, ExceptionInAStepBacksOffAndRelistsInsteadOfTerminating) {
  testing::TestClock clock;
  ScriptedApiClient api;
  ThrowingSink sink;
  Reflector reflector(api, resources::configMaps(), {}, sink, clock, [] { return 0.0; });
  api.pushList(makeList({makeObject("ns", "a", "1")}, "1"));
  State next = State::kStopped;
  ASSERT_NO_THROW(next = reflector.step());
  EXPECT_EQ(next, State::kBackoff);
  EXPECT_EQ(reflector.afterBackoff(), State::kList);
  EXPECT_NE(reflector.lastError().message().find("sink exploded"), std::string::npos)
      << reflector.lastError().toString();
}

TEST(ApiStatusMalformed, StatusWithWrongTypedFieldsIsA500) {
  Status s = internalError("unset");
  ASSERT_NO_THROW(
      s = statusFromStatusObject(Json::parse(R"({"code":{},"reason":[],"message":1})")));
  EXPECT_EQ(s.httpCode(), 500);
  ASSERT_NO_THROW(s = statusFromStatusObject(Json::parse(R"("not an object")")));
  EXPECT_EQ(s.httpCode(), 500);
  ASSERT_NO_THROW(s = statusFromHttpResponse(403, R"({"kind":"Status","reason":5,"message":{}})"));
  EXPECT_EQ(s.httpCode(), 403);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
}

TEST(ControllerRuntimeMalformed, OwnerKeyAndPriorityOfWrongTypedMetadataDoNotThrow) {
  const Json bad_meta = Json::parse(R"({"metadata":5})");
  const Json bad_refs =
      Json::parse(R"({"metadata":{"namespace":"ns","ownerReferences":["x",5,{"kind":1}]}})");
  const Json labels_list = Json::parse(R"({"metadata":{"labels":[]}})");
  EXPECT_EQ(ownerKeyOf(bad_meta, resources::modelRollouts()), std::nullopt);
  EXPECT_EQ(ownerKeyOf(bad_refs, resources::modelRollouts()), std::nullopt);
  EXPECT_EQ(ownerKeyOf(labels_list, resources::modelRollouts()), std::nullopt);
  const Json array_meta = Json::parse(R"({"metadata":[]})");
  const Json good = Json::parse(R"({"metadata":{"generation":2}})");
  EXPECT_NO_THROW(defaultPrimaryPriority(&array_meta, good));
  EXPECT_EQ(defaultPrimaryPriority(&array_meta, good), QueuePriority::kNormal);
  EXPECT_EQ(defaultPrimaryPriority(&bad_meta, array_meta), QueuePriority::kLow);
}

TEST(LabelSelectorMalformed, WrongTypedExpressionsAreInvalidArgumentNotAThrow) {
  for (const char* text :
       {R"({"matchExpressions":[{"key":"a","operator":"In","values":[5]}]})",
        R"({"matchExpressions":["x"]})", R"({"matchExpressions":[{"key":5,"operator":[]}]})"}) {
    Result<LabelSelector> parsed(internalError("unset"));
    ASSERT_NO_THROW(parsed = LabelSelector::fromJson(Json::parse(text))) << text;
    EXPECT_FALSE(parsed.isOk()) << text;
  }
}

TEST(LeaderElectionMalformed, LeaseWithWrongTypedSpecIsTakenOverNotThrown) {
  testing::TestClock clock;
  ScriptedApiClient api;
  api.put(resources::leases(), Json::parse(R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
              "metadata":{"name":"lock","namespace":"ops"},
              "spec":{"holderIdentity":5,"leaseDurationSeconds":"15","leaseTransitions":"x"}})"));
  LeaderElector elector(api, {"ops", "lock", "me"}, clock);
  bool leader = false;
  ASSERT_NO_THROW(leader = elector.tryAcquireOrRenew());
  EXPECT_TRUE(leader);
  auto stored = api.stored(resources::leases(), "ops", "lock");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ((*stored)["spec"]["holderIdentity"], "me");
}

// Found by fuzz_modelrollout_spec: parseObjectMeta of a value that is not an object threw
// type_error 306 ("cannot use value() with string").
TEST(ModelRolloutParseMalformed, ObjectMetaOfANonObjectIsEmptyNotAThrow) {
  rollout::ObjectMeta meta;
  ASSERT_NO_THROW(meta = rollout::parseObjectMeta(Json("{")));
  EXPECT_EQ(meta.name, "");
  ASSERT_NO_THROW(meta = rollout::parseObjectMeta(Json::parse("[1]")));
  ASSERT_NO_THROW(meta = rollout::parseObjectMeta(Json::parse(R"({"metadata":"x"})")));
}

// Found by fuzz_modelrollout_spec (UBSan float-cast-overflow): statusFromJson converted any
// number to int64, so "observedGeneration": 1e30 was undefined behaviour (INT64_MIN on x86).
TEST(RolloutStatusMalformed, FloatOutsideInt64ReadsAsZeroNotUndefinedBehaviour) {
  const rollout::RolloutStatus status = rollout::statusFromJson(
      Json::parse(R"({"observedGeneration":1e30,"consecutiveFailures":-1e300})"));
  EXPECT_EQ(status.observed_generation, 0);
  EXPECT_EQ(status.consecutive_failures, 0);
}

class KubeconfigMalformedTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("mr-malformed-kubeconfig-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::ofstream(path_) << text;
    return path_.string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
  testing::TestClock clock_;
};

// Found by fuzz_kubeconfig: a list entry that is a scalar ("- x" instead of "- name: x") threw
// YAML::BadSubscript from outside the loader's try block, so the controller died at startup.
TEST_F(KubeconfigMalformedTest, ListEntryThatIsAScalarIsSkippedNotThrown) {
  const std::string file = write(R"(
current-context: dev
clusters:
- just-a-name
- name: c
  cluster: {server: "https://api:6443"}
users: [7, [1]]
contexts:
- name: dev
  context: {cluster: c}
)");
  Result<ClusterConfig> config(internalError("unset"));
  ASSERT_NO_THROW(config = loadKubeconfig({file}, "", clock_));
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server, "https://api:6443");
}

TEST_F(KubeconfigMalformedTest, ScalarOrListDocumentIsInvalidArgumentNotAThrow) {
  for (const char* text : {"just text", "- a\n- b\n", "\"{\""}) {
    const std::string file = write(text);
    Result<ClusterConfig> config(internalError("unset"));
    ASSERT_NO_THROW(config = loadKubeconfig({file}, "", clock_)) << text;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument) << text;
  }
}

TEST_F(KubeconfigMalformedTest, ContextThatIsAScalarIsAnErrorNotAThrow) {
  const std::string file = write("current-context: dev\ncontexts:\n- name: dev\n  context: x\n");
  Result<ClusterConfig> config(internalError("unset"));
  ASSERT_NO_THROW(config = loadKubeconfig({file}, "", clock_));
  EXPECT_FALSE(config.isOk());
}

// A reconciler that throws something that is not a std::exception (the worker caught only
// std::exception, so this ended the process).
struct ThrowingReconciler : Reconciler {
  ReconcileResult reconcile(const ObjectKey&) override { throw 42; }
};

TEST(WorkerTopLevelHandler, NonStandardExceptionFromReconcileIsARetriedError) {
  testing::TestClock clock;
  ScriptedApiClient api;
  ControllerOptions options;
  options.owned = {resources::deployments()};
  ControllerRuntime runtime(api, clock, options);
  ThrowingReconciler reconciler;
  ASSERT_NO_THROW(runtime.processKey(reconciler, "ml/a"));
  EXPECT_EQ(runtime.queue().numRequeues("ml/a"), 1);
}

// runGuarded: the top-level handler of the leader-election (and any other) thread.
class SelfAdvancingClock final : public Clock {
 public:
  SystemTime now() const override { return fake_.now(); }
  SteadyTime steadyNow() const override { return fake_.steadyNow(); }
  bool waitUntil(std::condition_variable&, std::unique_lock<std::mutex>&,
                 SteadyTime) const override {
    return false;
  }
  // Sleeping advances fake time at once, so a backoff costs the test nothing.
  void sleepFor(Millis d) const override { const_cast<FakeClock&>(fake_).advance(d); }

 private:
  FakeClock fake_;
};

TEST(RunGuarded, ExceptionRestartsTheLoopAfterABackoffInsteadOfTerminating) {
  SelfAdvancingClock clock;
  int calls = 0;
  const SteadyTime start = clock.steadyNow();
  const int restarts = runGuarded(
      "test loop",
      [&] {
        if (++calls < 3) throw std::runtime_error("boom");
      },
      [] { return false; }, clock, {Millis(1000), Millis(30000), 2.0, 0.0});
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(restarts, 2);
  EXPECT_GE(clock.steadyNow() - start, Millis(3000));  // 1 s then 2 s of backoff
}

TEST(RunGuarded, StopDuringBackoffEndsWithoutRestarting) {
  SelfAdvancingClock clock;
  int calls = 0;
  const int restarts = runGuarded(
      "test loop",
      [&] {
        ++calls;
        throw 42;  // not even a std::exception
      },
      [&] { return calls >= 1; }, clock);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(restarts, 0);
}

}  // namespace
}  // namespace mr::k8s
