#include "api_errors.h"

namespace mr::apiserver {

using json = nlohmann::json;

json ApiError::body() const {
  json b = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
            {"status", "Failure"}, {"message", message}, {"reason", reason},
            {"code", code}};
  if (!details.is_null()) b["details"] = details;
  return b;
}

std::string qualifiedResource(const ResourceType& t) {
  return t.group.empty() ? t.plural : t.plural + "." + t.group;
}

static json details(const ResourceType& t, const std::string& name) {
  json d = {{"name", name}, {"kind", t.plural}};
  if (!t.group.empty()) d["group"] = t.group;
  return d;
}

ApiError errNotFound(const ResourceType& t, const std::string& name) {
  return {
      404, "NotFound", qualifiedResource(t) + " \"" + name + "\" not found", details(t, name), {}};
}

ApiError errAlreadyExists(const ResourceType& t, const std::string& name) {
  return {409,
          "AlreadyExists",
          qualifiedResource(t) + " \"" + name + "\" already exists",
          details(t, name),
          {}};
}

ApiError errConflict(const ResourceType& t, const std::string& name) {
  return {409,
          "Conflict",
          "Operation cannot be fulfilled on " + qualifiedResource(t) + " \"" + name +
              "\": the object has been modified; please apply your changes to the latest "
              "version and try again",
          details(t, name),
          {}};
}

ApiError errInvalid(const ResourceType& t, const std::string& name,
                    const std::vector<FieldError>& errors) {
  std::string qualified_kind = t.group.empty() ? t.kind : t.kind + "." + t.group;
  std::string list;
  json causes = json::array();
  for (const auto& e : errors) {
    list += (list.empty() ? "" : ", ") + e.toString();
    causes.push_back({{"reason", e.reason}, {"message", e.detail}, {"field", e.field}});
  }
  if (errors.size() > 1) list = "[" + list + "]";
  json d = {{"name", name}, {"kind", t.kind}, {"causes", causes}};
  if (!t.group.empty()) d["group"] = t.group;
  return {422, "Invalid", qualified_kind + " \"" + name + "\" is invalid: " + list, d, {}};
}

ApiError errBadRequest(const std::string& message) {
  return {400, "BadRequest", message, nullptr, {}};
}

ApiError errMethodNotAllowed(const std::string& message) {
  return {405, "MethodNotAllowed", message, nullptr, {}};
}

ApiError errUnsupportedMediaType(const std::string& message) {
  return {415, "UnsupportedMediaType", message, nullptr, {}};
}

ApiError errUnknownPath() {
  return {404, "NotFound", "the server could not find the requested resource", json::object(), {}};
}

ApiError errUnauthorized() {
  return {401, "Unauthorized", "Unauthorized", nullptr, {}};
}

ApiError errForbidden(const std::string& group, const std::string& resource,
                      const std::string& name, const std::string& reason) {
  std::string qualified = group.empty() ? resource : resource + "." + group;
  std::string message;
  if (resource.empty() && group.empty()) {
    message = "forbidden: " + reason;
  } else if (name.empty()) {
    message = qualified + " is forbidden: " + reason;
  } else {
    message = qualified + " " + json(name).dump() + " is forbidden: " + reason;
  }
  json d = json::object();  // StatusDetails: every field omitempty
  if (!name.empty()) d["name"] = name;
  if (!group.empty()) d["group"] = group;
  if (!resource.empty()) d["kind"] = resource;
  return {403, "Forbidden", message, d, {}};
}

ApiError errInjected(int code, int retry_after_seconds) {
  ApiError e{code, "InternalError", "injected fault", nullptr, {}};
  switch (code) {
    case 429:
      e.reason = "TooManyRequests";
      e.message = "too many requests, please try again later (injected fault)";
      e.details = {{"retryAfterSeconds", retry_after_seconds}};
      e.headers.push_back({"Retry-After", std::to_string(retry_after_seconds)});
      break;
    case 409:
      e.reason = "Conflict";
      e.message =
          "Operation cannot be fulfilled: the object has been modified; please apply your changes "
          "to the latest version and try again (injected fault)";
      break;
    case 503:
      e.reason = "ServiceUnavailable";
      e.message = "the server is currently unable to handle the request (injected fault)";
      e.headers.push_back({"Retry-After", std::to_string(retry_after_seconds)});
      break;
    case 504:
      e.reason = "Timeout";
      e.message =
          "the server was unable to return a response in the time allotted (injected fault)";
      break;
    case 410:
      e.reason = "Expired";
      e.message = "too old resource version (injected fault)";
      break;
    case 404:
      e.reason = "NotFound";
      e.message = "not found (injected fault)";
      break;
    default:
      e.message = "Internal error occurred: injected fault";
  }
  return e;
}

ApiError errInternal(const std::string& message) {
  return {500, "InternalError", "Internal error occurred: " + message, nullptr, {}};
}

}  // namespace mr::apiserver
