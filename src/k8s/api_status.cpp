#include "k8s/api_status.h"

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
  int code = object.value("code", 0);
  std::string reason = object.value("reason", "");
  std::string message = object.value("message", "");
  if (!object.contains("code") || !object["code"].is_number_integer()) code = 500;
  if (reason.empty()) reason = defaultReason(code);
  if (message.empty()) message = "HTTP " + std::to_string(code);
  return Status(statusCodeForHttp(code, reason), message, code, reason);
}

Status statusFromHttpResponse(int http_code, const std::string& body) {
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.value("kind", "") == "Status") {
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
