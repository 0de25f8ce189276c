// Response bodies follow the shapes captured from Prometheus 2.42 (reference notes).
#include "analysis/query_result.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mr::analysis {
namespace {

TEST(QueryResultTest, Vector) {
  auto r = parseQueryResponse(200, R"({"status":"success","data":{"resultType":"vector","result":[
    {"metric":{"le":"0.1","role":"canary"},"value":[1795721845.844,"12.5"]},
    {"metric":{"le":"+Inf"},"value":[1795721845.844,"20"]}]}})");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->type, ResultType::kVector);
  ASSERT_EQ(r->samples.size(), 2u);
  EXPECT_EQ(r->samples[0].labels.at("le"), "0.1");
  EXPECT_EQ(r->samples[0].value, 12.5);
  EXPECT_FALSE(singleValue(*r).isOk());
  EXPECT_NE(singleValue(*r).status().message().find("2 series"), std::string::npos);
}

TEST(QueryResultTest, Scalar) {
  auto r = parseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"scalar","result":[1795721845.8,"2"]}})");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->type, ResultType::kScalar);
  EXPECT_EQ(**singleValue(*r), 2.0);
}

TEST(QueryResultTest, Matrix) {
  auto r = parseQueryResponse(200, R"({"status":"success","data":{"resultType":"matrix",
    "result":[{"metric":{"__name__":"up"},"values":[[1,"1"],[2,"0"]]}]}})");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->type, ResultType::kMatrix);
  ASSERT_EQ(r->series.size(), 1u);
  EXPECT_EQ(r->series[0].points.size(), 2u);
  EXPECT_EQ(r->series[0].points[1].second, 0.0);
  EXPECT_FALSE(singleValue(*r).isOk());
}

TEST(QueryResultTest, String) {
  auto r = parseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"string","result":[1.5,"hello"]}})");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->type, ResultType::kString);
  EXPECT_EQ(r->string_value, "hello");
  EXPECT_FALSE(singleValue(*r).isOk());
}

TEST(QueryResultTest, EmptyVectorIsNoValue) {
  auto r =
      parseQueryResponse(200, R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  ASSERT_TRUE(r.isOk());
  auto v = singleValue(*r);
  ASSERT_TRUE(v.isOk());
  EXPECT_FALSE(v->has_value());
}

TEST(QueryResultTest, SpecialFloats) {
  for (const auto& [text, check] : std::vector<std::pair<std::string, std::function<bool(double)>>>{
           {"NaN", [](double v) { return std::isnan(v); }},
           {"+Inf", [](double v) { return std::isinf(v) && v > 0; }},
           {"-Inf", [](double v) { return std::isinf(v) && v < 0; }}}) {
    auto r = parseQueryResponse(200, R"({"status":"success","data":{"resultType":"vector",
      "result":[{"metric":{},"value":[1,")" +
                                         text + R"("]}]}})");
    ASSERT_TRUE(r.isOk()) << text;
    EXPECT_TRUE(check(**singleValue(*r))) << text;
  }
  EXPECT_FALSE(parseSampleValue("12abc").isOk());
}

TEST(QueryResultTest, WarningsKeptAndMissingWarningsTolerated) {
  auto r = parseQueryResponse(200, R"({"status":"success","warnings":["partial"],"infos":["x"],
    "data":{"resultType":"vector","result":[]}})");
  ASSERT_TRUE(r.isOk());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0], "partial");
}

TEST(QueryResultTest, ErrorEnvelopes) {
  auto bad = parseQueryResponse(
      400,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:15: parse error: unexpected"})");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().httpCode(), 400);
  EXPECT_EQ(bad.status().reason(), "bad_data");
  EXPECT_NE(bad.status().message().find("parse error"), std::string::npos);
  EXPECT_NE(bad.status().message().find("400"), std::string::npos);
  EXPECT_FALSE(bad.status().isRetryable());

  auto exec = parseQueryResponse(
      422,
      R"({"status":"error","errorType":"execution","error":"many-to-many matching not allowed"})");
  EXPECT_EQ(exec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(exec.status().message().find("many-to-many"), std::string::npos);

  auto timeout = parseQueryResponse(
      503,
      R"({"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"})");
  EXPECT_EQ(timeout.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(timeout.status().isRetryable());

  auto internal =
      parseQueryResponse(500, R"({"status":"error","errorType":"internal","error":"boom"})");
  EXPECT_EQ(internal.status().code(), StatusCode::kInternal);
}

TEST(QueryResultTest, NonJsonBodies) {
  auto nf = parseQueryResponse(404, "404 page not found\n");
  ASSERT_FALSE(nf.isOk());
  EXPECT_EQ(nf.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(nf.status().message(), "Prometheus returned HTTP 404 with a non-JSON body of 19 bytes");
  EXPECT_EQ(parseQueryResponse(503, "<html>unavailable</html>").status().code(),
            StatusCode::kUnavailable);
  EXPECT_FALSE(parseQueryResponse(200, "not json").isOk());
}

// Issue 15: replies from whatever answered at the address were quoted (200 bytes) into status
// and Events; only an error envelope's own message is quoted now, printable and bounded.
TEST(QueryResultTest, ResponseContentIsNeverEchoed) {
  const std::string leak = "SECRET-9f2c";
  for (const auto& [code, body] : std::vector<std::pair<int, std::string>>{
           {502, "<html>" + leak + "</html>"},
           {200, "plain " + leak},
           {200,
            R"({"status":"success","data":{"resultType":"vector","result":[")" + leak + R"("]}})"},
           {200, R"({"status":"success","data":{"resultType":"vector","result":[{"value":[1,")" +
                     leak + R"("],"x":[")" + leak + R"("]}]}})"},
           {200, R"({"status":"success","data":{"resultType":"vector","result":[{"value":")" +
                     leak + R"("}]}})"},
           {500, R"({"status":"error","data":")" + leak + R"("})"}}) {
    auto r = parseQueryResponse(code, body);
    ASSERT_FALSE(r.isOk()) << body;
    EXPECT_EQ(r.status().message().find(leak), std::string::npos) << r.status().message();
  }
  auto env = parseQueryResponse(
      400, R"({"status":"error","errorType":"bad_data","error":"parse error\r\nX-Injected: 1)" +
               std::string(500, 'a') + R"("})");
  ASSERT_FALSE(env.isOk());
  EXPECT_EQ(env.status().message().find('\n'), std::string::npos);
  EXPECT_EQ(env.status().message().find('\r'), std::string::npos);
  EXPECT_LT(env.status().message().size(), 300u) << env.status().message();
  EXPECT_NE(env.status().message().find("parse error"), std::string::npos);
}

TEST(QueryResultTest, MalformedSuccessBodies) {
  EXPECT_FALSE(parseQueryResponse(200, R"({"status":"success"})").isOk());
  EXPECT_FALSE(
      parseQueryResponse(
          200,
          R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}})")
          .isOk());
  EXPECT_FALSE(parseQueryResponse(
                   200, R"({"status":"success","data":{"resultType":"histogram","result":[]}})")
                   .isOk());
  EXPECT_FALSE(parseQueryResponse(200, R"({"status":7,"data":{}})").isOk());
  EXPECT_FALSE(
      parseQueryResponse(200, R"({"status":"success","data":{"resultType":"scalar","result":"x"}})")
          .isOk());
}

}  // namespace
}  // namespace mr::analysis
