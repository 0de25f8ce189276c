#include "k8s/rest_client.h"

#include <cpprest/uri_builder.h>

#include "common/json_read.h"
#include "k8s/api_status.h"
#include "k8s/call_timeout.h"
#include "k8s/watch_parser.h"

namespace mr::k8s {

namespace {

std::string patchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
  }
  return "application/merge-patch+json";
}

std::string metaString(const Json& object, const char* field) {
  return jsonString(jsonObject(object, "metadata"), field);
}

}  // namespace

RestClient::RestClient(ClusterConfig config, RestClientOptions options,
                       std::unique_ptr<HttpTransport> transport)
    : config_(std::move(config)), options_(std::move(options)), transport_(std::move(transport)) {}

RestClient::~RestClient() = default;

Result<std::unique_ptr<RestClient>> RestClient::create(ClusterConfig config,
                                                       RestClientOptions options) {
  auto transport = HttpTransport::create(config);
  if (!transport.isOk()) return transport.status();
  return std::unique_ptr<RestClient>(
      new RestClient(std::move(config), std::move(options), std::move(*transport)));
}

std::string RestClient::resourcePath(const ResourceType& type, const std::string& ns,
                                     const std::string& name, const std::string& subresource) {
  std::string path =
      type.group.empty() ? "/api/" + type.version : "/apis/" + type.group + "/" + type.version;
  if (type.namespaced && !ns.empty()) path += "/namespaces/" + web::uri::encode_data_string(ns);
  path += "/" + type.plural;
  if (!name.empty()) path += "/" + web::uri::encode_data_string(name);
  if (!subresource.empty()) path += "/" + subresource;
  return path;
}

Result<std::string> RestClient::authorization() {
  if (!config_.token) return std::string();
  auto token = config_.token->token();
  if (!token.isOk()) return token.status().withContext("bearer token");
  return "Bearer " + *token;
}

void RestClient::observe(const std::string& verb, int code) const {
  if (observer_) observer_(verb, code);
}

Result<Json> RestClient::request(const std::string& method, const std::string& path_and_query,
                                 const Json* body, const std::string& content_type,
                                 const std::string& verb) {
  const std::string what = method + " " + path_and_query;
  Millis timeout = options_.request_timeout;
  if (auto left = CallTimeout::remaining()) timeout = std::min(timeout, *left);
  const bool mutating = method != "GET" && method != "HEAD";
  if (mutating) {
    if (writes_closed_.cancelled) {
      std::lock_guard lock(closed_mu_);
      return unavailable(what + ": writes closed: " + closed_reason_);
    }
    if (fence_) {
      auto left = fence_();
      if (!left.isOk()) return left.status().withContext(what + ": write refused");
      timeout = std::min(timeout, *left);
    }
  }
  if (timeout.count() <= 0) return deadlineExceeded(what + ": no time left for the request");
  auto auth = authorization();
  if (!auth.isOk()) return auth.status();
  HttpOutgoing req = outgoing(method, path_and_query, *auth);
  if (body) {
    req.headers.emplace_back("Content-Type", content_type);
    req.body = body->dump();
  }
  auto response = transport_->roundTrip(req, timeout, mutating ? &writes_closed_ : nullptr);
  if (!response.isOk()) {
    observe(verb, 0);
    return response.status().withContext(what);
  }
  const int code = response->code;
  observe(verb, code);
  if (code < 200 || code >= 300) return errorResponse(code, response->body, what);
  if (response->body.empty()) return Json::object();
  Json parsed = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return internalError(what + ": response is not JSON");
  return parsed;
}

void RestClient::closeWrites(const std::string& reason) {
  {
    std::lock_guard lock(closed_mu_);
    if (writes_closed_.cancelled) return;
    closed_reason_ = reason;
  }
  writes_closed_.cancelled = true;
}

Status RestClient::errorResponse(int code, const std::string& body, const std::string& what) {
  if (code == 401 && config_.token) config_.token->invalidate();  // it may have rotated
  return statusFromHttpResponse(code, body).withContext(what);
}

HttpOutgoing RestClient::outgoing(const std::string& method, const std::string& target,
                                  const std::string& authorization) const {
  HttpOutgoing req;
  req.method = method;
  req.target = target;
  req.headers = {{"Accept", "application/json"}, {"User-Agent", options_.user_agent}};
  if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
  return req;
}

Result<Json> RestClient::get(const ResourceType& type, const std::string& ns,
                             const std::string& name) {
  return request("GET", resourcePath(type, ns, name), nullptr, "", "get");
}

Result<Json> RestClient::list(const ResourceType& type, const std::string& ns,
                              const ListOptions& options) {
  web::uri_builder uri(resourcePath(type, ns));
  if (!options.label_selector.empty()) uri.append_query("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) uri.append_query("fieldSelector", options.field_selector);
  if (!options.resource_version.empty()) {
    uri.append_query("resourceVersion", options.resource_version);
  }
  if (options.limit > 0) uri.append_query("limit", options.limit);
  if (!options.continue_token.empty()) uri.append_query("continue", options.continue_token);
  return request("GET", uri.to_string(), nullptr, "", "list");
}

Result<Json> RestClient::create(const ResourceType& type, const std::string& ns,
                                const Json& object) {
  const std::string target_ns = ns.empty() ? metaString(object, "namespace") : ns;
  return request("POST", resourcePath(type, target_ns), &object, "application/json", "create");
}

Result<Json> RestClient::update(const ResourceType& type, const Json& object) {
  return request("PUT",
                 resourcePath(type, metaString(object, "namespace"), metaString(object, "name")),
                 &object, "application/json", "update");
}

Result<Json> RestClient::updateStatus(const ResourceType& type, const Json& object) {
  return request(
      "PUT",
      resourcePath(type, metaString(object, "namespace"), metaString(object, "name"), "status"),
      &object, "application/json", "update");
}

Result<Json> RestClient::patch(const ResourceType& type, const std::string& ns,
                               const std::string& name, PatchType patch_type, const Json& patch,
                               const std::string& subresource) {
  return request("PATCH", resourcePath(type, ns, name, subresource), &patch,
                 patchContentType(patch_type), "patch");
}

Status RestClient::remove(const ResourceType& type, const std::string& ns,
                          const std::string& name) {
  const Json options = {
      {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  return request("DELETE", resourcePath(type, ns, name), &options, "application/json", "delete")
      .status();
}

Status RestClient::watch(const ResourceType& type, const std::string& ns,
                         const WatchOptions& options,
                         const std::function<void(const WatchEvent&)>& on_event,
                         const CancelToken& cancel) {
  auto auth = authorization();
  if (!auth.isOk()) return auth.status();
  web::uri_builder uri(resourcePath(type, ns));
  uri.append_query("watch", "1");
  if (!options.resource_version.empty()) {
    uri.append_query("resourceVersion", options.resource_version);
  }
  if (options.allow_bookmarks) uri.append_query("allowWatchBookmarks", "true");
  if (!options.label_selector.empty()) uri.append_query("labelSelector", options.label_selector);
  if (options.timeout_seconds > 0) uri.append_query("timeoutSeconds", options.timeout_seconds);
  const std::string what = "watch " + uri.to_string();

  // The transport's timeout restarts with every byte: an idle timeout detecting dead streams.
  const auto idle = std::chrono::seconds(std::max(options.timeout_seconds, 0) +
                                         options_.watch_idle_slack_seconds);
  int code = 0;
  std::string error_body;
  WatchStreamDecoder decoder;
  Status decode_error;
  const auto sink = [&](Result<WatchEvent> event) {
    if (!decode_error.isOk()) return;
    if (!event.isOk()) {
      decode_error = event.status().withContext(what);
      return;
    }
    on_event(*event);
  };
  const Status s = transport_->stream(
      outgoing("GET", uri.to_string(), *auth), idle, cancel,
      [&](int c, std::string body) {
        code = c;
        error_body = std::move(body);
        observe("watch", c);
      },
      [&](std::string_view piece) {
        decoder.feed(piece, sink);
        // A garbled stream cannot be trusted to have delivered every event.
        return decode_error.isOk() && !cancel.cancelled;
      });
  if (!decode_error.isOk()) return decode_error;
  if (cancel.cancelled) return Status::ok();
  if (!s.isOk()) {
    if (code == 0) observe("watch", 0);
    return s.withContext(what);
  }
  if (code != 0 && (code < 200 || code >= 300)) return errorResponse(code, error_body, what);
  return Status::ok();
}

}  // namespace mr::k8s
