// RestClient and the list/watch machinery against a real HTTP server on loopback.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>

#include "k8s/call_timeout.h"
#include "k8s/informer.h"
#include "k8s/rest_client.h"
#include "loopback_server.h"

namespace mr::k8s {
namespace {

using std::chrono::milliseconds;
using testing::HttpConnection;
using testing::HttpRequest;
using testing::LoopbackServer;

const RealClock& clock() {
  return RealClock::instance();
}

std::unique_ptr<RestClient> clientFor(const LoopbackServer& server,
                                      RestClientOptions options = {}) {
  ClusterConfig config;
  config.server = server.url();
  config.token = makeStaticTokenSource("s3cret");
  auto client = RestClient::create(config, options);
  EXPECT_TRUE(client.isOk()) << client.status().toString();
  return std::move(*client);
}

Json cm(const std::string& name, const std::string& rv) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"namespace", "ml"}, {"name", name}, {"resourceVersion", rv}}}};
}

std::string frame(const std::string& type, const Json& object) {
  return Json{{"type", type}, {"object", object}}.dump() + "\n";
}

TEST(RestClientIntegration, VerbsPathsHeadersAndStatusErrors) {
  LoopbackServer server([](const HttpRequest& req, HttpConnection& conn) {
    if (req.method == "GET" && req.path == "/api/v1/namespaces/ml/configmaps/missing") {
      conn.respond(
          404,
          R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"configmaps \"missing\" not found","reason":"NotFound","code":404})");
    } else if (req.method == "PUT") {
      conn.respond(
          409,
          R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"the object has been modified","reason":"Conflict","code":409})");
    } else if (req.method == "POST") {
      Json body = Json::parse(req.body);
      body["metadata"]["resourceVersion"] = "1";
      conn.respond(201, body.dump());
    } else {
      conn.respond(
          200,
          Json{{"kind", "List"}, {"metadata", {{"resourceVersion", "7"}}}, {"items", Json::array()}}
              .dump());
    }
  });
  auto client = clientFor(server);
  std::vector<std::pair<std::string, int>> observed;
  std::mutex mu;
  client->setRequestObserver([&](const std::string& verb, int code) {
    std::lock_guard lock(mu);
    observed.emplace_back(verb, code);
  });

  auto missing = client->get(resources::configMaps(), "ml", "missing");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().reason(), "NotFound");
  EXPECT_NE(missing.status().message().find("not found"), std::string::npos);

  auto conflict = client->update(resources::deployments(), cm("d", "3"));
  EXPECT_EQ(conflict.status().code(), StatusCode::kConflict);
  EXPECT_EQ(conflict.status().httpCode(), 409);

  auto created = client->create(resources::modelRollouts(), "ml", cm("r", ""));
  ASSERT_TRUE(created.isOk()) << created.status().toString();
  EXPECT_EQ((*created)["metadata"]["resourceVersion"], "1");

  ListOptions lo;
  lo.label_selector = "modelrollout.io/rollout in (a,b)";
  lo.limit = 50;
  ASSERT_TRUE(client->list(resources::deployments(), "", lo).isOk());
  ASSERT_TRUE(client
                  ->patch(resources::modelRollouts(), "ml", "r", PatchType::kMerge,
                          {{"status", {{"phase", "Healthy"}}}}, "status")
                  .isOk());
  ASSERT_TRUE(client
                  ->patch(resources::services(), "ml", "s", PatchType::kJson,
                          Json::array({{{"op", "add"}, {"path", "/x"}, {"value", 1}}}))
                  .isOk());
  ASSERT_TRUE(client->remove(resources::namespaces(), "ignored", "team-a").isOk());

  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 7u);
  for (const auto& r : reqs)
    EXPECT_EQ(r.headers.at("authorization"), "Bearer s3cret");
  EXPECT_EQ(reqs[1].path, "/apis/apps/v1/namespaces/ml/deployments/d");
  EXPECT_EQ(reqs[2].path, "/apis/modelrollout.io/v1alpha1/namespaces/ml/modelrollouts");
  EXPECT_EQ(reqs[3].path, "/apis/apps/v1/deployments");
  EXPECT_EQ(reqs[3].param("labelSelector"), "modelrollout.io/rollout in (a,b)");
  EXPECT_EQ(reqs[3].param("limit"), "50");
  EXPECT_EQ(reqs[4].method, "PATCH");
  EXPECT_EQ(reqs[4].path, "/apis/modelrollout.io/v1alpha1/namespaces/ml/modelrollouts/r/status");
  EXPECT_EQ(reqs[4].headers.at("content-type").rfind("application/merge-patch+json", 0), 0u);
  EXPECT_EQ(reqs[5].headers.at("content-type").rfind("application/json-patch+json", 0), 0u);
  EXPECT_EQ(reqs[6].method, "DELETE");
  EXPECT_EQ(reqs[6].path, "/api/v1/namespaces/team-a");
  EXPECT_EQ(Json::parse(reqs[6].body)["propagationPolicy"], "Background");

  std::lock_guard lock(mu);
  const std::vector<std::pair<std::string, int>> want = {
      {"get", 404},   {"update", 409}, {"create", 201}, {"list", 200},
      {"patch", 200}, {"patch", 200},  {"delete", 200}};
  EXPECT_EQ(observed, want);
}

TEST(RestClientIntegration, TransportFailureIsRetryable) {
  int port;
  {
    LoopbackServer gone([](const HttpRequest&, HttpConnection&) {});
    port = gone.port();
  }
  ClusterConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(port);
  auto client = RestClient::create(config);
  ASSERT_TRUE(client.isOk());
  auto r = (*client)->get(resources::configMaps(), "ml", "x");
  ASSERT_FALSE(r.isOk());
  EXPECT_TRUE(r.status().isRetryable()) << r.status().toString();
}

TEST(RestClientIntegration, BadCertificateMaterialFailsAtCreate) {
  ClusterConfig config;
  config.server = "https://127.0.0.1:1";
  config.ca_pem = "not a certificate";
  EXPECT_FALSE(RestClient::create(config).isOk());
  config.ca_pem.clear();
  config.server = "ftp://x";
  EXPECT_FALSE(RestClient::create(config).isOk());
}

TEST(RestClientIntegration, WatchDeliversSlowSplitEventsPromptly) {
  // Events arrive in pieces across chunks and pauses; each must reach the callback as soon as
  // its last byte is written (not when some read buffer fills up).
  std::mutex mu;
  std::condition_variable cv;
  std::vector<SteadyTime> sent_at;
  LoopbackServer server([&](const HttpRequest& req, HttpConnection& conn) {
    conn.startChunked();
    const std::string a = frame("ADDED", cm("a", "11"));
    const std::string b = frame("MODIFIED", cm("a", "12"));
    const std::string c =
        frame("BOOKMARK", {{"kind", "ConfigMap"}, {"metadata", {{"resourceVersion", "13"}}}});
    conn.chunk(a.substr(0, 7));
    clock().sleepFor(milliseconds(150));
    conn.chunk(a.substr(7, 30));
    clock().sleepFor(milliseconds(150));
    conn.chunk(a.substr(37));
    {
      std::lock_guard lock(mu);
      sent_at.push_back(clock().steadyNow());
    }
    clock().sleepFor(milliseconds(1000));
    conn.chunk(b + c.substr(0, 5));  // one chunk: the end of one event and the start of the next
    {
      std::lock_guard lock(mu);
      sent_at.push_back(clock().steadyNow());
    }
    clock().sleepFor(milliseconds(1000));
    conn.chunk(c.substr(5));
    {
      std::lock_guard lock(mu);
      sent_at.push_back(clock().steadyNow());
    }
    if (req.param("timeoutSeconds") == "5") conn.endChunked();
  });
  auto client = clientFor(server);
  std::vector<std::pair<WatchEvent, SteadyTime>> got;
  WatchOptions options;
  options.resource_version = "10";
  options.timeout_seconds = 5;
  CancelToken cancel;
  const Status s = client->watch(
      resources::configMaps(), "ml", options,
      [&](const WatchEvent& e) { got.emplace_back(e, clock().steadyNow()); }, cancel);
  EXPECT_TRUE(s.isOk()) << s.toString();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first.type, WatchEventType::kAdded);
  EXPECT_EQ(got[1].first.type, WatchEventType::kModified);
  EXPECT_EQ(got[2].first.type, WatchEventType::kBookmark);
  std::lock_guard lock(mu);
  // Each event arrives well before the next piece is sent 1 s later (not held until a buffer
  // fills or the stream ends); the slack is for a loaded machine, not for the client.
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_LT(got[i].second - sent_at[i], milliseconds(800)) << "event " << i << " arrived late";
  }
  auto req = server.requests().at(0);
  EXPECT_EQ(req.param("watch"), "1");
  EXPECT_EQ(req.param("resourceVersion"), "10");
  EXPECT_EQ(req.param("allowWatchBookmarks"), "true");
  EXPECT_EQ(req.param("timeoutSeconds"), "5");
}

TEST(RestClientIntegration, WatchNon2xxIsStatusAndIdleStreamTimesOut) {
  LoopbackServer server([&](const HttpRequest& req, HttpConnection& conn) {
    if (req.param("resourceVersion") == "forbidden") {
      conn.respond(403,
                   R"({"kind":"Status","message":"forbidden","reason":"Forbidden","code":403})");
      return;
    }
    conn.startChunked();  // then silence: a dead stream
    clock().sleepFor(milliseconds(8000));
  });
  RestClientOptions options;
  options.watch_idle_slack_seconds = 1;
  auto client = clientFor(server, options);
  WatchOptions wo;
  wo.resource_version = "forbidden";
  CancelToken cancel;
  Status s = client->watch(
      resources::configMaps(), "", wo, [](const WatchEvent&) {}, cancel);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);

  wo.resource_version = "1";
  wo.timeout_seconds = 1;
  const SteadyTime start = clock().steadyNow();
  s = client->watch(
      resources::configMaps(), "", wo, [](const WatchEvent&) {}, cancel);
  EXPECT_FALSE(s.isOk());
  EXPECT_TRUE(s.isRetryable()) << s.toString();
  EXPECT_LT(clock().steadyNow() - start, milliseconds(6500)) << "idle timeout did not fire";
}

TEST(RestClientIntegration, WatchCancelReturnsPromptly) {
  LoopbackServer server([&](const HttpRequest&, HttpConnection& conn) {
    conn.startChunked();
    clock().sleepFor(milliseconds(6000));
  });
  auto client = clientFor(server);
  CancelToken cancel;
  std::thread canceller([&] {
    clock().sleepFor(milliseconds(200));
    cancel.cancelled = true;
  });
  const SteadyTime start = clock().steadyNow();
  const Status s = client->watch(
      resources::configMaps(), "", {}, [](const WatchEvent&) {}, cancel);
  canceller.join();
  EXPECT_TRUE(s.isOk());
  EXPECT_LT(clock().steadyNow() - start, milliseconds(4000));
}

// The full informer against the server: list, watch, a dropped connection (resume from the
// last resourceVersion, no relist), then 410 (relist; vanished objects become deletes).
TEST(RestClientIntegration, InformerResumesAfterDropAndRelistsAfterExpired) {
  std::atomic<int> watches{0}, lists{0};
  LoopbackServer server([&](const HttpRequest& req, HttpConnection& conn) {
    if (req.param("watch") != "1") {
      const int n = ++lists;
      Json items =
          n == 1 ? Json::array({cm("a", "10")}) : Json::array({cm("a", "12"), cm("c", "14")});
      conn.respond(200, Json{{"kind", "ConfigMapList"},
                             {"metadata", {{"resourceVersion", n == 1 ? "10" : "14"}}},
                             {"items", items}}
                            .dump());
      return;
    }
    const int n = ++watches;
    conn.startChunked();
    if (n == 1) {
      const std::string events = frame("ADDED", cm("b", "11")) + frame("MODIFIED", cm("a", "12"));
      conn.chunk(events.substr(0, 40));
      clock().sleepFor(milliseconds(30));
      conn.chunk(events.substr(40));
      clock().sleepFor(milliseconds(30));
      conn.drop();  // mid-stream, no terminating chunk
    } else if (n == 2) {
      conn.chunk(frame("ERROR", {{"kind", "Status"},
                                 {"apiVersion", "v1"},
                                 {"status", "Failure"},
                                 {"message", "too old resource version: 12 (13)"},
                                 {"reason", "Expired"},
                                 {"code", 410}}));
      conn.endChunked();
    } else {
      clock().sleepFor(milliseconds(1500));
      conn.endChunked();
    }
  });
  auto client = clientFor(server);
  InformerOptions options;
  options.ns = "ml";
  options.reflector.backoff.initial = milliseconds(50);
  Informer informer(*client, resources::configMaps(), options, clock());
  std::mutex mu;
  std::vector<std::string> log;
  const auto name = [](const ObjectPtr& o) {
    return (*o)["metadata"].value("name", "") + "@" + (*o)["metadata"].value("resourceVersion", "");
  };
  informer.addHandler({[&](const ObjectPtr& o) {
                         std::lock_guard l(mu);
                         log.push_back("add " + name(o));
                       },
                       [&](const ObjectPtr&, const ObjectPtr& o) {
                         std::lock_guard l(mu);
                         log.push_back("update " + name(o));
                       },
                       [&](const ObjectPtr& o) {
                         std::lock_guard l(mu);
                         log.push_back("delete " + name(o));
                       }});
  informer.start();
  for (int i = 0; i < 500 && watches < 3; ++i)
    clock().sleepFor(milliseconds(10));
  clock().sleepFor(milliseconds(100));
  informer.stop();

  std::vector<HttpRequest> watch_reqs;
  for (const auto& r : server.requests())
    if (r.param("watch") == "1") watch_reqs.push_back(r);
  ASSERT_GE(watch_reqs.size(), 3u);
  EXPECT_EQ(watch_reqs[0].param("resourceVersion"), "10");
  EXPECT_EQ(watch_reqs[1].param("resourceVersion"), "12") << "must resume from the last RV seen";
  EXPECT_EQ(watch_reqs[2].param("resourceVersion"), "14") << "must watch from the relist's RV";
  EXPECT_EQ(lists.load(), 2) << "a dropped connection must not relist; 410 must";
  std::lock_guard l(mu);
  EXPECT_EQ(log, (std::vector<std::string>{"add a@10", "add b@11", "update a@12", "add c@14",
                                           "delete b@11"}));
  EXPECT_EQ(informer.size(), 2u);
  EXPECT_EQ(informer.get("ml", "b"), nullptr);
}

// --- Write fence and per-call deadlines (issue 13, item 10: two leaders) ---

// A server that answers GETs at once and every other request after `write_delay`.
LoopbackServer slowWriteServer(milliseconds write_delay) {
  return LoopbackServer([write_delay](const HttpRequest& req, HttpConnection& conn) {
    if (req.method != "GET") clock().sleepFor(write_delay);
    conn.respond(200, cm("x", "5").dump());
  });
}

TEST(RestClientIntegration, WriteFenceRefusesWritesBeforeSendingAndLetsReadsThrough) {
  LoopbackServer server = slowWriteServer(milliseconds(0));
  auto client = clientFor(server);
  std::atomic<bool> open{true};
  client->setWriteFence([&]() -> Result<Millis> {
    if (!open) return unavailable("not the leader");
    return Millis(5000);
  });
  ASSERT_TRUE(
      client->patch(resources::configMaps(), "ml", "x", PatchType::kMerge, Json::object()).isOk());
  open = false;
  for (const Status& s :
       {client->create(resources::configMaps(), "ml", cm("x", "")).status(),
        client->update(resources::configMaps(), cm("x", "5")).status(),
        client->updateStatus(resources::configMaps(), cm("x", "5")).status(),
        client->patch(resources::configMaps(), "ml", "x", PatchType::kMerge, Json::object())
            .status(),
        client->remove(resources::configMaps(), "ml", "x")}) {
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.toString();
    EXPECT_NE(s.message().find("not the leader"), std::string::npos) << s.toString();
  }
  EXPECT_TRUE(client->get(resources::configMaps(), "ml", "x").isOk());
  int writes = 0;
  for (const HttpRequest& r : server.requests())
    writes += r.method != "GET";
  EXPECT_EQ(writes, 1) << "a refused write reached the server";
}

TEST(RestClientIntegration, WriteTimeoutIsCutToTheFenceWindow) {
  // The fence allows 200 ms; the server takes 5 s. Before, the write waited the full
  // request timeout (30 s), long after the lease that allowed it could have expired.
  LoopbackServer server = slowWriteServer(milliseconds(5000));
  auto client = clientFor(server);
  client->setWriteFence([]() -> Result<Millis> { return Millis(200); });
  const auto start = clock().steadyNow();
  auto r = client->patch(resources::configMaps(), "ml", "x", PatchType::kMerge, Json::object());
  const auto took = std::chrono::duration_cast<milliseconds>(clock().steadyNow() - start);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().toString();
  EXPECT_LT(took.count(), 3500);
}

TEST(RestClientIntegration, CallTimeoutBoundsEveryRequestOfTheThread) {
  LoopbackServer server([](const HttpRequest&, HttpConnection& conn) {
    clock().sleepFor(milliseconds(5000));
    conn.respond(200, cm("x", "5").dump());
  });
  auto client = clientFor(server);
  const auto start = clock().steadyNow();
  {
    CallTimeout scope(milliseconds(200));
    CallTimeout looser(milliseconds(60000));  // an inner scope cannot extend the deadline
    EXPECT_EQ(CallTimeout::budget(), milliseconds(200));
    auto r = client->get(resources::configMaps(), "ml", "x");
    EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().toString();
  }
  EXPECT_LT(std::chrono::duration_cast<milliseconds>(clock().steadyNow() - start).count(), 3500);
  EXPECT_EQ(CallTimeout::remaining(), std::nullopt);
}

TEST(RestClientIntegration, CloseWritesCancelsWritesInFlightAndRefusesLaterOnes) {
  LoopbackServer server = slowWriteServer(milliseconds(5000));
  auto client = clientFor(server);
  Status in_flight;
  std::thread writer([&] {
    in_flight = client->patch(resources::configMaps(), "ml", "x", PatchType::kMerge, Json::object())
                    .status();
  });
  // Wait until the server has the request, then lose leadership.
  for (int i = 0; i < 500 && server.requests().empty(); ++i)
    clock().sleepFor(milliseconds(2));
  const auto closed_at = clock().steadyNow();
  client->closeWrites("leadership lost");
  writer.join();
  EXPECT_LT(std::chrono::duration_cast<milliseconds>(clock().steadyNow() - closed_at).count(), 3500)
      << "the write in flight was not cancelled";
  EXPECT_FALSE(in_flight.isOk());
  auto later = client->remove(resources::configMaps(), "ml", "x");
  EXPECT_EQ(later.code(), StatusCode::kUnavailable);
  EXPECT_NE(later.message().find("writes closed: leadership lost"), std::string::npos)
      << later.toString();
  EXPECT_TRUE(client->get(resources::configMaps(), "ml", "x").isOk()) << "reads continue";
}

}  // namespace
}  // namespace mr::k8s

namespace mr::k8s {
namespace {

TEST(RestClientIntegration, TokenWithControlCharactersIsRefusedBeforeSending) {
  // Issue 15 item 6: a CR/LF inside a token injected headers into the old client's requests.
  LoopbackServer server([](const HttpRequest&, HttpConnection& conn) { conn.respond(200, "{}"); });
  ClusterConfig config;
  config.server = server.url();
  config.token = makeStaticTokenSource("abc\r\nImpersonate-User: admin");
  auto client = RestClient::create(config);
  ASSERT_TRUE(client.isOk());
  auto r = (*client)->get(resources::configMaps(), "ml", "x");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("control character"), std::string::npos)
      << r.status().toString();
  EXPECT_EQ(r.status().message().find("admin"), std::string::npos) << "the value is not echoed";
  CancelToken cancel;
  const Status w = (*client)->watch(
      resources::configMaps(), "ml", WatchOptions{}, [](const WatchEvent&) {}, cancel);
  EXPECT_EQ(w.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace mr::k8s
