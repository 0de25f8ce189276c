// PrometheusClient against a scripted HTTP server: request shape (POST form, GET), no bearer
// token over plain http, Prometheus' own error messages in the Status but never other reply
// bodies, the body size cap, retries on 503 only, the overall timeout, and a refused
// connection. Label: integration (real sockets).
#include "analysis/prometheus_client.h"

#include <gtest/gtest.h>

#include <atomic>

#include "analysis/checks.h"
#include "common/clock.h"
#include "tests/analysis/test_support.h"

namespace mr::analysis {
namespace {

using namespace std::chrono_literals;
using testing::FakeHttpServer;
using testing::HttpReply;
using testing::HttpRequest;

const char* kOneSample =
    R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"42"]}]}})";

PrometheusClientConfig configFor(const FakeHttpServer& s) {
  PrometheusClientConfig c;
  c.address = s.address();
  c.timeout = 5s;
  c.backoff.initial = 10ms;  // keep retries quick; timing is Backoff's own tested business
  c.backoff.max = 20ms;
  return c;
}

TEST(PrometheusClientTest, PostsForm) {
  FakeHttpServer server([](const HttpRequest&) { return HttpReply{200, kOneSample}; });
  auto c = configFor(server);
  PrometheusClient client(c, RealClock::instance());
  auto r = client.query("sum(rate(x{a=\"b c\"}[5m]))");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(**singleValue(*r), 42.0);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/api/v1/query");
  EXPECT_EQ(reqs[0].headers.at("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(
      reqs[0].body.rfind("query=sum%28rate%28x%7Ba%3D%22b%20c%22%7D%5B5m%5D%29%29&timeout=", 0), 0u)
      << reqs[0].body;
}

TEST(PrometheusClientTest, GetPutsQueryInUrlAndSendsNoTokenWhenEmpty) {
  FakeHttpServer server([](const HttpRequest&) { return HttpReply{200, kOneSample}; });
  auto c = configFor(server);
  c.use_post = false;
  PrometheusClient client(c, RealClock::instance());
  ASSERT_TRUE(client.query("up").isOk());
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target.rfind("/api/v1/query?query=up&timeout=", 0), 0u) << req.target;
  EXPECT_EQ(req.headers.count("authorization"), 0u);
}

TEST(PrometheusClientTest, BadQueryAndExecutionErrorsAreNotRetried) {
  for (int code : {400, 422}) {
    FakeHttpServer server([code](const HttpRequest&) {
      return HttpReply{
          code,
          code == 400
              ? R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"})"
              : R"({"status":"error","errorType":"execution","error":"many-to-many matching not allowed"})"};
    });
    PrometheusClient client(configFor(server), RealClock::instance());
    auto r = client.query("sum(");
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(code == 400 ? "parse error" : "many-to-many"),
              std::string::npos)
        << r.status().message();
    EXPECT_EQ(server.requests().size(), 1u);
  }
}

TEST(PrometheusClientTest, RetriesOn503ThenSucceeds) {
  std::atomic<int> calls{0};
  FakeHttpServer server([&](const HttpRequest&) {
    return ++calls == 1
               ? HttpReply{503,
                           R"({"status":"error","errorType":"unavailable","error":"overloaded"})"}
               : HttpReply{200, kOneSample};
  });
  PrometheusClient client(configFor(server), RealClock::instance());
  auto r = client.query("up");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(calls.load(), 2);
}

TEST(PrometheusClientTest, Persistent503IsUnavailableAfterBoundedAttempts) {
  FakeHttpServer server([](const HttpRequest&) {
    return HttpReply{
        503,
        R"({"status":"error","errorType":"timeout","error":"query timed out in query execution"})"};
  });
  PrometheusClient client(configFor(server), RealClock::instance());
  auto r = client.query("up");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("query timed out"), std::string::npos);
  EXPECT_NE(r.status().message().find("after 3 attempt(s)"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(PrometheusClientTest, SlowServerTimesOutWithinTheOverallTimeout) {
  FakeHttpServer server([](const HttpRequest&) {
    return HttpReply{200, kOneSample, "application/json", 3000};
  });
  auto c = configFor(server);
  c.timeout = 600ms;
  PrometheusClient client(c, RealClock::instance());
  const auto start = RealClock::instance().steadyNow();
  auto r = client.query("up");
  const auto took = RealClock::instance().steadyNow() - start;
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().toString();
  EXPECT_LT(took, 2s);
  EXPECT_GE(took, 500ms);
}

// Issue 15: the bearer token was sent to any address, even over plain http.
TEST(PrometheusClientTest, TokenNeverSentOverPlainHttp) {
  FakeHttpServer server([](const HttpRequest&) { return HttpReply{200, kOneSample}; });
  auto c = configFor(server);
  c.bearer_token = "s3cret";
  PrometheusClient client(c, RealClock::instance());
  auto r = client.query("up");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("plain http"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find("s3cret"), std::string::npos);
  EXPECT_TRUE(server.requests().empty()) << "no connection may carry the token over http";
}

TEST(PrometheusClientTest, PlainTextNotFound) {
  FakeHttpServer server([](const HttpRequest&) {
    return HttpReply{404, "404 page not found\n", "text/plain"};
  });
  PrometheusClient client(configFor(server), RealClock::instance());
  auto r = client.query("up");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("HTTP 404 with a non-JSON body of 19 bytes"),
            std::string::npos)
      << r.status().message();
}

// Issue 15: up to 200 bytes of whatever answered were copied into status and Events.
TEST(PrometheusClientTest, NonPrometheusReplyNotEchoed) {
  const std::string page = "<html>internal admin console: db_password=topsecret</html>";
  for (int code : {200, 502}) {
    FakeHttpServer server([&](const HttpRequest&) { return HttpReply{code, page, "text/html"}; });
    auto c = configFor(server);
    c.max_attempts = 1;
    PrometheusClient client(c, RealClock::instance());
    auto r = client.query("up");
    ASSERT_FALSE(r.isOk());
    const std::string m = r.status().message();
    EXPECT_EQ(m.find("topsecret"), std::string::npos) << m;
    EXPECT_EQ(m.find("admin console"), std::string::npos) << m;
    EXPECT_NE(m.find("HTTP " + std::to_string(code) + " with a non-JSON body of " +
                     std::to_string(page.size()) + " bytes"),
              std::string::npos)
        << m;
    // Through the checks, as the reconciler would store it.
    AnalysisRequest req;
    req.namespace_name = "ml";
    req.rollout = "r";
    const auto result = runAnalysis(req, client, RealClock::instance());
    EXPECT_EQ(result.message.find("topsecret"), std::string::npos) << result.message;
    for (const auto& metric : result.metrics)
      EXPECT_EQ(metric.message.find("topsecret"), std::string::npos) << metric.message;
  }
}

// Issue 15: bodies had no size limit (the pod's memory limit is 128 Mi).
TEST(PrometheusClientTest, OversizedBodyRejected) {
  const std::string big = R"({"status":"success","data":{"resultType":"string","result":[1,")" +
                          std::string(64 * 1024, 'x') + R"("]}})";
  for (bool content_length : {true, false}) {
    std::atomic<int> served{0};
    FakeHttpServer server([&](const HttpRequest&) {
      ++served;
      HttpReply reply{200, big};
      reply.content_length = content_length;
      return reply;
    });
    auto c = configFor(server);
    c.max_body_bytes = 16 * 1024;
    PrometheusClient client(c, RealClock::instance());
    auto r = client.query("up");
    ASSERT_FALSE(r.isOk()) << (content_length ? "with" : "without") << " Content-Length";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("larger than the limit of 16384 bytes"), std::string::npos)
        << r.status().message();
    EXPECT_EQ(served.load(), 1) << "the same query would return the same size: no retry";
    // Just under the limit is read.
    c.max_body_bytes = big.size();
    PrometheusClient roomy(c, RealClock::instance());
    EXPECT_TRUE(roomy.query("up").isOk());
  }
}

TEST(PrometheusClientTest, RefusedConnectionIsUnavailable) {
  PrometheusClientConfig c;
  c.address = "http://127.0.0.1:" + std::to_string(testing::freePort());
  c.timeout = 2s;
  c.backoff.initial = 10ms;
  PrometheusClient client(c, RealClock::instance());
  auto r = client.query("up");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find(c.address), std::string::npos);
}

TEST(PrometheusClientTest, ServerErrorsBecomeErrorVerdictWithMessage) {
  for (int code : {400, 422, 503}) {
    FakeHttpServer server([code](const HttpRequest&) {
      return HttpReply{code, R"({"status":"error","errorType":"x","error":"message )" +
                                 std::to_string(code) + R"("})"};
    });
    auto c = configFor(server);
    PrometheusClient client(c, RealClock::instance());
    AnalysisRequest req;
    req.namespace_name = "ml";
    req.rollout = "r";
    const auto result = runAnalysis(req, client, RealClock::instance());
    EXPECT_EQ(result.verdict, Verdict::kError);
    for (const auto& m : result.metrics) {
      EXPECT_EQ(m.verdict, Verdict::kError) << m.name;
      EXPECT_NE(m.message.find("message " + std::to_string(code)), std::string::npos) << m.message;
    }
  }
}

}  // namespace
}  // namespace mr::analysis
