#include "k8s/api_status.h"

#include "common/json_read.h"

namespace mr::k8s {

StatusCode statusCodeForHttp(int http_code, const std::string& reason) {
  if (reason == "Timeout" || http_code == 504) return StatusCode::kDeadlineExceeded;
  if (reason == "Expired" || reason == "Gone") return StatusCode::kGone;
  switch (http_code) {
    case 400:
    case 422:
      return StatusCode::kInvalidArgument;
    case 401:
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 409:
      return reason == "AlreadyExists" ? StatusCode::kAlreadyExists : StatusCode::kConflict;
    case 410:
      return StatusCode::kGone;
    case 405:
    case 415:
      return StatusCode::kUnimplemented;
    case 429:
      return StatusCode::kUnavailable;
    default:
      break;
  }
  if (http_code >= 500) return StatusCode::kUnavailable;
  return StatusCode::kInternal;
}

namespace {

std::string defaultReason(int http_code) {
  switch (http_code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "";
  }
}

}  // namespace

Status statusFromStatusObject(const Json& object) {
  // Type-checked: a Status with "code": "x" or "reason": 5 is still a (500) error, not a throw.
  const int64_t wide_code = jsonInt(object, "code", 500);
  int code = wide_code >= INT32_MIN && wide_code <= INT32_MAX ? static_cast<int>(wide_code) : 500;
  std::string reason = jsonString(object, "reason");
  std::string message = jsonString(object, "message");
  if (reason.empty()) reason = defaultReason(code);
  if (message.empty()) message = "HTTP " + std::to_string(code);
  return Status(statusCodeForHttp(code, reason), message, code, reason);
}

Status statusFromHttpResponse(int http_code, const std::string& body) {
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (jsonString(parsed, "kind") == "Status") {
    Json object = parsed;
    object["code"] = http_code;  // the HTTP code wins over a body that disagrees
    return statusFromStatusObject(object);
  }
  std::string message = "HTTP " + std::to_string(http_code);
  if (!body.empty()) message += ": " + body.substr(0, 256);
  const std::string reason = defaultReason(http_code);
  return Status(statusCodeForHttp(http_code, reason), message, http_code, reason);
}

}  // namespace mr::k8s
