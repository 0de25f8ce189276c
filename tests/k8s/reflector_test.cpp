#include "k8s/reflector.h"

#include <gtest/gtest.h>

#include "fake_api_client.h"
#include "k8s/informer.h"
#include "test_clock.h"

namespace mr::k8s {
namespace {

using testing::bookmark;
using testing::event;
using testing::expiredEvent;
using testing::makeList;
using testing::makeObject;
using testing::ScriptedApiClient;
using testing::WatchScript;
using State = Reflector::State;
using std::chrono::milliseconds;

// Records what the reflector tells its sink, and mirrors an informer store.
struct RecordingSink : ReflectorSink {
  std::vector<std::string> log;
  std::map<std::string, std::string> store;  // name -> rv
  void replace(std::vector<Json> items, const std::string& rv) override {
    log.push_back("replace@" + rv + " n=" + std::to_string(items.size()));
    store.clear();
    for (const Json& i : items)
      store[i["metadata"]["name"]] = i["metadata"]["resourceVersion"];
  }
  void apply(WatchEventType type, Json object) override {
    const std::string name = object["metadata"]["name"];
    log.push_back(std::string(type == WatchEventType::kAdded      ? "add "
                              : type == WatchEventType::kModified ? "mod "
                                                                  : "del ") +
                  name);
    if (type == WatchEventType::kDeleted)
      store.erase(name);
    else
      store[name] = object["metadata"]["resourceVersion"];
  }
};

class ReflectorTest : public ::testing::Test {
 protected:
  ReflectorOptions options() {
    ReflectorOptions o;
    o.ns = "ml";
    o.label_selector = "app=x";
    return o;
  }
  testing::TestClock clock_;
  ScriptedApiClient api_;
  RecordingSink sink_;
  // Jitter 0 so backoff delays are exact.
  Reflector reflector_{api_, resources::configMaps(), options(), sink_, clock_, [] { return 0.0; }};
};

TEST_F(ReflectorTest, ListThenWatchFromListResourceVersion) {
  api_.pushList(makeList({makeObject("ml", "a", "10")}, "12"));
  EXPECT_EQ(reflector_.state(), State::kList);
  EXPECT_EQ(reflector_.step(), State::kWatch);
  EXPECT_EQ(sink_.log, std::vector<std::string>{"replace@12 n=1"});
  EXPECT_EQ(reflector_.lastResourceVersion(), "12");
  ASSERT_EQ(api_.listCalls().size(), 1u);
  EXPECT_EQ(api_.listCalls()[0].label_selector, "app=x");

  api_.pushWatch({{event(WatchEventType::kAdded, makeObject("ml", "b", "13"))}, Status::ok()});
  EXPECT_EQ(reflector_.step(), State::kWatch);
  ASSERT_EQ(api_.watchCalls().size(), 1u);
  EXPECT_EQ(api_.watchCalls()[0].resource_version, "12");
  EXPECT_TRUE(api_.watchCalls()[0].allow_bookmarks);
  EXPECT_EQ(api_.watchCalls()[0].label_selector, "app=x");
  EXPECT_EQ(reflector_.lastResourceVersion(), "13");
}

TEST_F(ReflectorTest, StreamEndResumesFromLastResourceVersionWithoutRelist) {
  api_.pushList(makeList({}, "5"));
  reflector_.step();
  api_.pushWatch({{event(WatchEventType::kAdded, makeObject("ml", "a", "6")),
                   event(WatchEventType::kModified, makeObject("ml", "a", "7"))},
                  Status::ok()});
  api_.pushWatch({{event(WatchEventType::kDeleted, makeObject("ml", "a", "8"))}, Status::ok()});
  EXPECT_EQ(reflector_.step(), State::kWatch);
  EXPECT_EQ(reflector_.step(), State::kWatch);
  ASSERT_EQ(api_.watchCalls().size(), 2u);
  EXPECT_EQ(api_.watchCalls()[1].resource_version, "7");
  EXPECT_EQ(reflector_.listCount(), 1);
  EXPECT_EQ(sink_.log, (std::vector<std::string>{"replace@5 n=0", "add a", "mod a", "del a"}));
}

TEST_F(ReflectorTest, BookmarksAdvanceResourceVersionWithoutTouchingStore) {
  api_.pushList(makeList({}, "5"));
  reflector_.step();
  api_.pushWatch({{testing::bookmark("40"), testing::bookmark("55")}, Status::ok()});
  api_.pushWatch({{}, Status::ok()});
  reflector_.step();
  EXPECT_EQ(reflector_.lastResourceVersion(), "55");
  EXPECT_EQ(sink_.log.size(), 1u);
  clock_.advance(milliseconds(2000));
  reflector_.step();
  EXPECT_EQ(api_.watchCalls()[1].resource_version, "55");
}

TEST_F(ReflectorTest, ExpiredEventRelistsImmediatelyAndReplaceDropsVanishedObjects) {
  // Mirror into a real informer store to check nothing is lost or duplicated.
  Informer informer(api_, resources::configMaps(), {}, clock_);
  std::vector<std::string> handler_log;
  informer.addHandler({[&](const ObjectPtr& o) {
                         handler_log.push_back("add " + o->at("metadata").value("name", ""));
                       },
                       [&](const ObjectPtr&, const ObjectPtr& o) {
                         handler_log.push_back("update " + o->at("metadata").value("name", ""));
                       },
                       [&](const ObjectPtr& o) {
                         handler_log.push_back("delete " + o->at("metadata").value("name", ""));
                       }});
  Reflector reflector(api_, resources::configMaps(), options(), informer, clock_,
                      [] { return 0.0; });

  api_.pushList(makeList({makeObject("ml", "a", "1"), makeObject("ml", "b", "2")}, "2"));
  reflector.step();
  EXPECT_TRUE(informer.hasSynced());
  api_.pushWatch({{event(WatchEventType::kModified, makeObject("ml", "a", "3")), expiredEvent(),
                   event(WatchEventType::kAdded, makeObject("ml", "zombie", "99"))},
                  Status::ok()});
  EXPECT_EQ(reflector.step(), State::kList) << "410 must relist without backoff";
  EXPECT_EQ(informer.get("ml", "zombie"), nullptr) << "events after ERROR must be ignored";
  // Meanwhile: b deleted, c created, a unchanged since rv 3.
  api_.pushList(makeList({makeObject("ml", "a", "3"), makeObject("ml", "c", "9")}, "9"));
  EXPECT_EQ(reflector.step(), State::kWatch);
  ASSERT_EQ(api_.listCalls().size(), 2u);
  EXPECT_EQ(api_.listCalls()[1].resource_version, "") << "relist must be a fresh read";
  EXPECT_EQ(reflector.lastResourceVersion(), "9");
  EXPECT_EQ(informer.size(), 2u);
  EXPECT_NE(informer.get("ml", "a"), nullptr);
  EXPECT_EQ(informer.get("ml", "b"), nullptr);
  EXPECT_NE(informer.get("ml", "c"), nullptr);
  ASSERT_EQ(handler_log.size(), 5u);
  std::sort(handler_log.begin(), handler_log.begin() + 2);
  std::sort(handler_log.begin() + 3, handler_log.end());
  EXPECT_EQ(handler_log,
            (std::vector<std::string>{"add a", "add b", "update a", "add c", "delete b"}))
      << "relist must report exactly the difference: no duplicate add of a";
}

TEST_F(ReflectorTest, Http410FromWatchAlsoRelists) {
  api_.pushList(makeList({}, "5"));
  reflector_.step();
  api_.pushWatch({{}, Status(StatusCode::kGone, "gone", 410, "Gone")});
  EXPECT_EQ(reflector_.step(), State::kList);
}

TEST_F(ReflectorTest, ListFailureBacksOffThenRetriesList) {
  api_.pushList(Status(StatusCode::kUnavailable, "down", 503, "ServiceUnavailable"));
  EXPECT_EQ(reflector_.step(), State::kBackoff);
  EXPECT_EQ(reflector_.afterBackoff(), State::kList);
  EXPECT_EQ(reflector_.currentBackoff(), milliseconds(800));
  api_.pushList(makeList({}, "1"));
  clock_.advance(milliseconds(800));
  EXPECT_EQ(reflector_.step(), State::kList);
  EXPECT_EQ(reflector_.step(), State::kWatch);
}

TEST_F(ReflectorTest, ThrottledWatchBacksOffAndRewatchesWithoutRelist) {
  api_.pushList(makeList({}, "5"));
  reflector_.step();
  api_.pushWatch({{event(WatchEventType::kAdded, makeObject("ml", "a", "6"))},
                  Status(StatusCode::kUnavailable, "slow down", 429, "TooManyRequests")});
  EXPECT_EQ(reflector_.step(), State::kBackoff);
  EXPECT_EQ(reflector_.afterBackoff(), State::kWatch);
  clock_.advance(reflector_.currentBackoff());
  EXPECT_EQ(reflector_.step(), State::kWatch);
  api_.pushWatch({{}, Status(StatusCode::kUnavailable, "connection refused")});
  reflector_.step();
  EXPECT_EQ(reflector_.afterBackoff(), State::kWatch);
  EXPECT_EQ(reflector_.listCount(), 1);
  EXPECT_EQ(api_.watchCalls()[1].resource_version, "6");
}

TEST_F(ReflectorTest, BackoffDoublesUpToThirtySecondsAndResetsAfterHealthyPeriod) {
  api_.pushList(makeList({}, "5"));
  reflector_.step();
  const long expected[] = {800, 1600, 3200, 6400, 12800, 25600, 30000, 30000};
  for (long want : expected) {
    api_.pushWatch({{}, unavailable("refused")});
    ASSERT_EQ(reflector_.step(), State::kBackoff);
    EXPECT_EQ(reflector_.currentBackoff().count(), want);
    clock_.advance(reflector_.currentBackoff());
    ASSERT_EQ(reflector_.step(), State::kWatch);
  }
  clock_.advance(milliseconds(120000));
  api_.pushWatch({{}, unavailable("refused")});
  reflector_.step();
  EXPECT_EQ(reflector_.currentBackoff().count(), 800);
}

TEST_F(ReflectorTest, ForbiddenWatchBacksOffThenRelists) {
  api_.pushList(makeList({}, "5"));
  reflector_.step();
  api_.pushWatch({{}, Status(StatusCode::kPermissionDenied, "no", 403, "Forbidden")});
  EXPECT_EQ(reflector_.step(), State::kBackoff);
  EXPECT_EQ(reflector_.afterBackoff(), State::kList);
}

TEST_F(ReflectorTest, ImmediateEmptyWatchEndCountsAsFailure) {
  api_.pushList(makeList({}, "5"));
  reflector_.step();
  api_.pushWatch({{}, Status::ok()});
  EXPECT_EQ(reflector_.step(), State::kBackoff);
  EXPECT_EQ(reflector_.afterBackoff(), State::kWatch);
}

TEST_F(ReflectorTest, PaginatedListIsAssembledBeforeReplace) {
  Json page1 = makeList({makeObject("ml", "a", "1")}, "7");
  page1["metadata"]["continue"] = "tok";
  api_.pushList(page1);
  api_.pushList(makeList({makeObject("ml", "b", "2")}, "7"));
  reflector_.step();
  EXPECT_EQ(sink_.log, std::vector<std::string>{"replace@7 n=2"});
  EXPECT_EQ(api_.listCalls()[1].continue_token, "tok");
}

TEST_F(ReflectorTest, StopEndsBackoffAndRun) {
  api_.pushList(unavailable("down"));
  reflector_.step();
  std::thread t([&] { reflector_.run(); });
  reflector_.stop();
  t.join();
  EXPECT_EQ(reflector_.state(), State::kStopped);
}

}  // namespace
}  // namespace mr::k8s
