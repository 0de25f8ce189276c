// API semantics over real HTTP against an in-process server: status bodies, concurrency,
// status subresource, finalizers, garbage collection, paging, watches (initial state,
// selectors, bookmarks, timeouts, 410), discovery/OpenAPI registration and fault injection.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "encoding.h"
#include "test_client.h"

namespace mr::apiserver::testing {
namespace {

using json = nlohmann::json;

std::string widgetCrd() {
  std::ifstream in("tests/apiserver/testdata/widgets.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  return yamlToJson(ss.str()).value().dump();
}

const char* kWidgets = "/apis/test.mr.io/v1/namespaces/default/widgets";

json widget(const std::string& name, json spec = {{"image", "a/b:1"}},
            json labels = json::object()) {
  return {{"apiVersion", "test.mr.io/v1"},
          {"kind", "Widget"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", spec}};
}

class ApiserverHttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ApiServerOptions opts;
    opts.bookmark_interval = std::chrono::milliseconds(200);
    opts.history_size = 50;
    server_ = std::make_unique<ServerFixture>(opts);
    client_ = std::make_unique<TestClient>(server_->port());
    auto r = client_->request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                              widgetCrd());
    ASSERT_EQ(r.code, 201) << r.body;
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
  }
  HttpResult req(const std::string& m, const std::string& p, const json& body = nullptr,
                 std::map<std::string, std::string> h = {}) {
    return client_->request(m, p, body.is_null() ? "" : body.dump(), h);
  }
  std::unique_ptr<ServerFixture> server_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(ApiserverHttpApiTest, CreateGetAndRealStatusBodies) {
  auto created = req("POST", kWidgets, widget("a"));
  ASSERT_EQ(created.code, 201) << created.body;
  json obj = created.json();
  EXPECT_EQ(obj["metadata"]["generation"], 1);
  EXPECT_EQ(obj["spec"]["replicas"], 1);  // schema default
  EXPECT_FALSE(obj["metadata"]["uid"].get<std::string>().empty());
  auto dup = req("POST", kWidgets, widget("a"));
  EXPECT_EQ(dup.code, 409);
  EXPECT_EQ(dup.json()["reason"], "AlreadyExists");
  EXPECT_EQ(dup.json()["message"], "widgets.test.mr.io \"a\" already exists");
  auto missing = req("GET", std::string(kWidgets) + "/nope");
  EXPECT_EQ(missing.code, 404);
  EXPECT_EQ(missing.json()["reason"], "NotFound");
  EXPECT_EQ(missing.json()["details"]["group"], "test.mr.io");
  auto bad_ns = req("POST", "/apis/test.mr.io/v1/namespaces/ghost/widgets", widget("x"));
  EXPECT_EQ(bad_ns.code, 404);
  EXPECT_EQ(bad_ns.json()["message"], "namespaces \"ghost\" not found");
  auto invalid = req("POST", kWidgets,
                     widget("bad", {{"image", "a/b:1"}, {"replicas", 99}, {"size", "huge"}}));
  EXPECT_EQ(invalid.code, 422);
  EXPECT_EQ(invalid.json()["details"]["causes"].size(), 2u);
  EXPECT_NE(
      invalid.json()["message"].get<std::string>().find("spec.size: Unsupported value: \"huge\""),
      std::string::npos);
}

TEST_F(ApiserverHttpApiTest, OptimisticConcurrencyAndStatusSubresource) {
  json obj = req("POST", kWidgets, widget("a")).json();
  std::string url = std::string(kWidgets) + "/a";
  json no_rv = obj;
  no_rv["metadata"].erase("resourceVersion");
  EXPECT_EQ(req("PUT", url, no_rv).code, 422);
  json stale = obj;
  stale["metadata"]["resourceVersion"] = "1";
  auto conflict = req("PUT", url, stale);
  EXPECT_EQ(conflict.code, 409);
  EXPECT_EQ(conflict.json()["reason"], "Conflict");
  json upd = obj;
  upd["spec"]["replicas"] = 4;
  upd["status"] = {{"phase", "Ignored"}};
  auto r = req("PUT", url, upd);
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(r.json()["metadata"]["generation"], 2);
  EXPECT_FALSE(r.json().contains("status"));
  json st = r.json();
  st["status"] = {{"phase", "Running"}};
  st["spec"]["replicas"] = 9;
  auto s = req("PUT", url + "/status", st);
  ASSERT_EQ(s.code, 200) << s.body;
  EXPECT_EQ(s.json()["status"]["phase"], "Running");
  EXPECT_EQ(s.json()["spec"]["replicas"], 4);
  EXPECT_EQ(s.json()["metadata"]["generation"], 2);
  // A no-op update keeps the resourceVersion.
  auto same = req("PUT", url, s.json());
  EXPECT_EQ(same.json()["metadata"]["resourceVersion"], s.json()["metadata"]["resourceVersion"]);
  auto smp = req("PATCH", url, json{{"spec", {{"replicas", 2}}}},
                 {{"Content-Type", "application/strategic-merge-patch+json"}});
  EXPECT_EQ(smp.code, 415);
  auto merge = req("PATCH", url, json{{"spec", {{"replicas", 2}}}},
                   {{"Content-Type", "application/merge-patch+json"}});
  EXPECT_EQ(merge.code, 200);
  EXPECT_EQ(merge.json()["spec"]["replicas"], 2);
  auto jp = req("PATCH", url, json::parse(R"([{"op":"test","path":"/spec/replicas","value":7}])"),
                {{"Content-Type", "application/json-patch+json"}});
  EXPECT_EQ(jp.code, 422);
}

TEST_F(ApiserverHttpApiTest, FinalizersAndOwnerReferenceCascade) {
  json owner = req("POST", kWidgets, widget("owner")).json();
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata",
              {{"name", "child"},
               {"ownerReferences",
                {{{"apiVersion", "test.mr.io/v1"},
                  {"kind", "Widget"},
                  {"name", "owner"},
                  {"uid", owner["metadata"]["uid"]}}}}}}};
  ASSERT_EQ(req("POST", "/api/v1/namespaces/default/configmaps", cm).code, 201);
  json fin = widget("held");
  fin["metadata"]["finalizers"] = {"test/hold"};
  ASSERT_EQ(req("POST", kWidgets, fin).code, 201);
  auto del = req("DELETE", std::string(kWidgets) + "/held");
  ASSERT_EQ(del.code, 200);
  EXPECT_TRUE(del.json()["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(req("GET", std::string(kWidgets) + "/held").code, 200);
  auto release =
      req("PATCH", std::string(kWidgets) + "/held", json{{"metadata", {{"finalizers", nullptr}}}},
          {{"Content-Type", "application/merge-patch+json"}});
  EXPECT_EQ(release.code, 200);
  EXPECT_EQ(req("GET", std::string(kWidgets) + "/held").code, 404);

  ASSERT_EQ(req("DELETE", std::string(kWidgets) + "/owner").code, 200);
  int code = 200;
  for (int i = 0; i < 100 && code == 200; ++i) {
    code = req("GET", "/api/v1/namespaces/default/configmaps/child").code;
    if (code == 200) RealClock::instance().sleepFor(Millis(20));
  }
  EXPECT_EQ(code, 404) << "garbage collector did not delete the dependent";
}

TEST_F(ApiserverHttpApiTest, ListWithLimitContinueAndLabelSelectors) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(req("POST", kWidgets,
                  widget("w" + std::to_string(i), {{"image", "a/b:1"}},
                         {{"parity", i % 2 ? "odd" : "even"}}))
                  .code,
              201);
  }
  auto p1 = req("GET", std::string(kWidgets) + "?limit=2").json();
  ASSERT_EQ(p1["items"].size(), 2u);
  EXPECT_EQ(p1["metadata"]["remainingItemCount"], 3);
  auto p2 = req("GET", std::string(kWidgets) +
                           "?limit=10&continue=" + p1["metadata"]["continue"].get<std::string>())
                .json();
  EXPECT_EQ(p2["items"].size(), 3u);
  EXPECT_FALSE(p2["metadata"].contains("continue"));
  auto even = req("GET", std::string(kWidgets) + "?labelSelector=parity%3Deven").json();
  EXPECT_EQ(even["items"].size(), 3u);
  auto set = req("GET", std::string(kWidgets) + "?labelSelector=parity%20in%20(odd)").json();
  EXPECT_EQ(set["items"].size(), 2u);
  EXPECT_EQ(req("GET", "/apis/test.mr.io/v1/widgets").json()["items"].size(), 5u);
  auto table =
      req("GET", kWidgets, nullptr, {{"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io"}})
          .json();
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["rows"].size(), 5u);
}

TEST_F(ApiserverHttpApiTest, WatchInitialStateSelectorsAndBookmarks) {
  ASSERT_EQ(req("POST", kWidgets, widget("pre", {{"image", "a/b:1"}}, {{"team", "a"}})).code, 201);
  TestClient watcher(server_->port());
  ASSERT_EQ(
      watcher.startWatch(std::string(kWidgets) + "?watch=1&resourceVersion=0&allowWatchBookmarks="
                                                 "true&labelSelector=team%3Da&timeoutSeconds=5"),
      200);
  json first = watcher.readEvent(2000);
  EXPECT_EQ(first["type"], "ADDED");
  EXPECT_EQ(first["object"]["metadata"]["name"], "pre");
  ASSERT_EQ(req("POST", kWidgets, widget("other", {{"image", "a/b:1"}}, {{"team", "b"}})).code,
            201);
  auto moved = req("PATCH", std::string(kWidgets) + "/pre",
                   json{{"metadata", {{"labels", {{"team", "b"}}}}}},
                   {{"Content-Type", "application/merge-patch+json"}});
  ASSERT_EQ(moved.code, 200);
  std::vector<std::string> types;
  bool bookmark = false;
  for (int i = 0; i < 10 && !(bookmark && types.size() >= 1); ++i) {
    json ev = watcher.readEvent(2000);
    if (ev.is_null()) break;
    if (ev["type"] == "BOOKMARK") {
      bookmark = true;
      EXPECT_EQ(ev["object"]["kind"], "Widget");
      EXPECT_FALSE(ev["object"]["metadata"]["resourceVersion"].get<std::string>().empty());
    } else {
      types.push_back(ev["type"]);
      EXPECT_EQ(ev["object"]["metadata"]["name"], "pre");
    }
  }
  EXPECT_EQ(types, std::vector<std::string>{"DELETED"});  // left the selector
  EXPECT_TRUE(bookmark);
}

TEST_F(ApiserverHttpApiTest, WatchEndsAtTimeoutAndOldVersionsExpire) {
  TestClient w1(server_->port());
  ASSERT_EQ(w1.startWatch(std::string(kWidgets) + "?watch=1&resourceVersion=" +
                          std::to_string(server_->api().store().currentRv()) + "&timeoutSeconds=1"),
            200);
  EXPECT_TRUE(w1.readEvent(3000).is_null());
  EXPECT_TRUE(w1.streamEnded());
  for (int i = 0; i < 60; ++i)
    ASSERT_EQ(req("POST", "/api/v1/namespaces/default/configmaps",
                  json{{"metadata", {{"name", "c" + std::to_string(i)}}}})
                  .code,
              201);
  TestClient w2(server_->port());
  ASSERT_EQ(w2.startWatch(std::string(kWidgets) + "?watch=1&resourceVersion=2"), 200);
  json ev = w2.readEvent(2000);
  EXPECT_EQ(ev["type"], "ERROR");
  EXPECT_EQ(ev["object"]["code"], 410);
  EXPECT_EQ(ev["object"]["reason"], "Expired");
  auto too_new = req("GET", std::string(kWidgets) + "?watch=1&resourceVersion=999999");
  EXPECT_EQ(too_new.code, 504);
}

TEST_F(ApiserverHttpApiTest, FaultInjection) {
  auto set =
      req("POST", "/admin/faults",
          json{{"errors",
                {{{"verb", "create"}, {"rate", 1.0}, {"code", 429}, {"retryAfterSeconds", 2}}}},
               {"expireNextWatches", 1}});
  ASSERT_EQ(set.code, 200);
  auto limited = req("POST", kWidgets, widget("x"));
  EXPECT_EQ(limited.code, 429);
  EXPECT_EQ(limited.headers["retry-after"], "2");
  EXPECT_EQ(limited.json()["reason"], "TooManyRequests");
  EXPECT_EQ(req("GET", kWidgets).code, 200);  // other verbs unaffected
  TestClient w(server_->port());
  ASSERT_EQ(w.startWatch(std::string(kWidgets) + "?watch=1&resourceVersion=" +
                         std::to_string(server_->api().store().currentRv())),
            200);
  EXPECT_EQ(w.readEvent(2000)["object"]["code"], 410);
  ASSERT_EQ(req("DELETE", "/admin/faults").code, 200);
  EXPECT_EQ(req("POST", kWidgets, widget("x")).code, 201);
  // Compaction expires every older resourceVersion.
  std::string rv = std::to_string(server_->api().store().currentRv() - 1);
  ASSERT_EQ(req("POST", "/admin/faults", json{{"compactHistory", true}}).code, 200);
  TestClient w2(server_->port());
  ASSERT_EQ(w2.startWatch(std::string(kWidgets) + "?watch=1&resourceVersion=" + rv), 200);
  EXPECT_EQ(w2.readEvent(2000)["object"]["code"], 410);
}

TEST_F(ApiserverHttpApiTest, SeededFaultsAreDeterministic) {
  auto pattern = [&]() {
    ServerFixture s;
    TestClient c(s.port());
    EXPECT_EQ(c.request("POST", "/admin/faults",
                        json{{"errors", {{{"verb", "list"}, {"rate", 0.5}, {"code", 500}}}}}.dump())
                  .code,
              200);
    std::string out;
    for (int i = 0; i < 40; ++i)
      out += c.request("GET", "/api/v1/namespaces/default/configmaps").code == 500 ? 'x' : '.';
    return out;
  };
  std::string a = pattern();
  EXPECT_EQ(a, pattern());
  EXPECT_NE(a.find('x'), std::string::npos);
  EXPECT_NE(a.find('.'), std::string::npos);
}

TEST_F(ApiserverHttpApiTest, CrdRegistersAndUnregistersDiscoveryAndOpenApi) {
  auto agg = req(
      "GET", "/apis", nullptr,
      {{"Accept",
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"}});
  EXPECT_EQ(agg.headers["content-type"],
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  EXPECT_NE(agg.body.find("\"shortNames\":[\"wd\",\"wds\"]"), std::string::npos);
  auto index = req("GET", "/openapi/v3").json();
  ASSERT_TRUE(index["paths"].contains("apis/test.mr.io/v1"));
  auto doc =
      req("GET", index["paths"]["apis/test.mr.io/v1"]["serverRelativeURL"].get<std::string>())
          .json();
  const json& patch =
      doc["paths"]["/apis/test.mr.io/v1/namespaces/{namespace}/widgets/{name}"]["patch"];
  EXPECT_EQ(patch["x-kubernetes-group-version-kind"]["kind"], "Widget");
  EXPECT_FALSE(patch["requestBody"]["content"].contains("application/strategic-merge-patch+json"));
  ASSERT_EQ(req("POST", kWidgets, widget("doomed")).code, 201);
  ASSERT_EQ(
      req("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.mr.io")
          .code,
      200);
  EXPECT_EQ(req("GET", kWidgets).code, 404);
  EXPECT_FALSE(req("GET", "/openapi/v3").json()["paths"].contains("apis/test.mr.io/v1"));
  ASSERT_EQ(req("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                json::parse(widgetCrd()))
                .code,
            201);
  EXPECT_TRUE(req("GET", kWidgets).json()["items"].empty());  // instances went with the CRD
}

TEST(ApiserverHttpAuthTest, TokenRequiredExceptHealth) {
  ApiServerOptions opts;
  opts.token = "s3cret";
  ServerFixture server(opts);
  TestClient c(server.port());
  EXPECT_EQ(c.request("GET", "/readyz").code, 200);
  auto denied = c.request("GET", "/api/v1/namespaces");
  EXPECT_EQ(denied.code, 401);
  EXPECT_EQ(denied.json()["reason"], "Unauthorized");
  EXPECT_EQ(c.request("GET", "/api/v1/namespaces", "", {{"Authorization", "Bearer wrong"}}).code,
            401);
  auto ok = c.request("GET", "/api/v1/namespaces", "", {{"Authorization", "Bearer s3cret"}});
  EXPECT_EQ(ok.code, 200);
  EXPECT_EQ(ok.json()["items"].size(), 3u);
}

}  // namespace
}  // namespace mr::apiserver::testing
