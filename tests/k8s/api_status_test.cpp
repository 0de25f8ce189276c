#include "k8s/api_status.h"

#include <gtest/gtest.h>

namespace mr::k8s {
namespace {

std::string statusBody(int code, const std::string& reason, const std::string& message) {
  return Json{{"kind", "Status"},   {"apiVersion", "v1"}, {"status", "Failure"},
              {"message", message}, {"reason", reason},   {"code", code}}
      .dump();
}

TEST(ApiStatus, MapsKubernetesStatusBodies) {
  struct Case {
    int http;
    std::string reason;
    StatusCode want;
    bool retryable;
  };
  const Case cases[] = {
      {404, "NotFound", StatusCode::kNotFound, false},
      {409, "Conflict", StatusCode::kConflict, false},
      {409, "AlreadyExists", StatusCode::kAlreadyExists, false},
      {410, "Expired", StatusCode::kGone, false},
      {410, "Gone", StatusCode::kGone, false},
      {400, "BadRequest", StatusCode::kInvalidArgument, false},
      {422, "Invalid", StatusCode::kInvalidArgument, false},
      {401, "Unauthorized", StatusCode::kPermissionDenied, false},
      {403, "Forbidden", StatusCode::kPermissionDenied, false},
      {429, "TooManyRequests", StatusCode::kUnavailable, true},
      {500, "InternalError", StatusCode::kUnavailable, true},
      {503, "ServiceUnavailable", StatusCode::kUnavailable, true},
      {504, "Timeout", StatusCode::kDeadlineExceeded, true},
      {415, "UnsupportedMediaType", StatusCode::kUnimplemented, false},
  };
  for (const Case& c : cases) {
    const Status s =
        statusFromHttpResponse(c.http, statusBody(c.http, c.reason, "msg " + c.reason));
    EXPECT_EQ(s.code(), c.want) << c.http << " " << c.reason;
    EXPECT_EQ(s.httpCode(), c.http);
    EXPECT_EQ(s.reason(), c.reason);
    EXPECT_EQ(s.message(), "msg " + c.reason);
    EXPECT_EQ(s.isRetryable(), c.retryable) << c.http << " " << c.reason;
  }
}

TEST(ApiStatus, NonStatusBodyKeepsCodeAndQuotesBody) {
  const Status s = statusFromHttpResponse(502, "<html>bad gateway</html>");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.httpCode(), 502);
  EXPECT_NE(s.message().find("bad gateway"), std::string::npos);
  const Status nf = statusFromHttpResponse(404, "");
  EXPECT_EQ(nf.code(), StatusCode::kNotFound);
  EXPECT_EQ(nf.reason(), "NotFound");
}

TEST(ApiStatus, HttpCodeWinsOverInconsistentBody) {
  const Status s = statusFromHttpResponse(409, statusBody(500, "AlreadyExists", "exists"));
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(s.httpCode(), 409);
}

TEST(ApiStatus, WatchErrorObjectExpiredIsGone) {
  const Status s = statusFromStatusObject(Json::parse(statusBody(410, "Expired", "too old")));
  EXPECT_EQ(s.code(), StatusCode::kGone);
  EXPECT_EQ(s.reason(), "Expired");
  const Status tooLarge = statusFromStatusObject(Json::parse(statusBody(504, "Timeout", "rv")));
  EXPECT_EQ(tooLarge.code(), StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace mr::k8s
