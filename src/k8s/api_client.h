// ApiClient: the narrow interface every part of the project uses to talk to a Kubernetes API
// server. Objects are nlohmann::json in their wire form. Errors come back as mr::Status:
// the HTTP code and the Kubernetes Status `reason` are kept (Status::httpCode()/reason()), and
// the StatusCode is mapped as: 404 NotFound, 409 Conflict or AlreadyExists (by reason),
// 410 Gone, 400/422 InvalidArgument, 401/403 PermissionDenied, 429 and 5xx and transport
// failures Unavailable (retryable), timeouts DeadlineExceeded (retryable).
// The real implementation (rest_client.h) speaks HTTP(S) via http_transport.h; tests use fakes.
// Thread-safety: implementations must be safe to call from many threads at once.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace mr::k8s {

using Json = nlohmann::json;

// Identifies a REST resource: apps/v1 deployments, modelrollout.io/v1alpha1 modelrollouts...
struct ResourceType {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  std::string kind;
  bool namespaced = true;

  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
  bool operator==(const ResourceType&) const = default;
};

// Well-known resource types used across the project.
namespace resources {
const ResourceType& modelRollouts();
const ResourceType& deployments();
const ResourceType& services();
const ResourceType& secrets();
const ResourceType& configMaps();
const ResourceType& namespaces();
const ResourceType& coreEvents();
const ResourceType& leases();
const ResourceType& httpRoutes();
const ResourceType& virtualServices();
const ResourceType& customResourceDefinitions();
}  // namespace resources

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // "" = most recent (quorum read)
  int limit = 0;                 // 0 = no paging
  std::string continue_token;
};

enum class PatchType { kMerge, kJson, kStrategicMerge };

struct WatchOptions {
  std::string label_selector;
  std::string resource_version;  // start after this version
  bool allow_bookmarks = true;
  int timeout_seconds = 290;     // server-side deadline; the stream ends cleanly after it
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

struct WatchEvent {
  WatchEventType type;
  Json object;  // for kError, the Status object
};

// Cancels a blocking watch from another thread.
struct CancelToken {
  std::atomic<bool> cancelled{false};
};

class ApiClient {
 public:
  virtual ~ApiClient() = default;

  // `ns` is ignored for cluster-scoped types; "" for a namespaced type lists all namespaces.
  virtual Result<Json> get(const ResourceType& type, const std::string& ns,
                           const std::string& name) = 0;
  // Returns the List object (items, metadata.resourceVersion, metadata.continue).
  virtual Result<Json> list(const ResourceType& type, const std::string& ns,
                            const ListOptions& options) = 0;
  virtual Result<Json> create(const ResourceType& type, const std::string& ns,
                              const Json& object) = 0;
  // PUT of the whole object; REQUIRES: object.metadata.resourceVersion is set (409 if stale).
  virtual Result<Json> update(const ResourceType& type, const Json& object) = 0;
  // PUT to the status subresource; REQUIRES: object.metadata.resourceVersion is set.
  virtual Result<Json> updateStatus(const ResourceType& type, const Json& object) = 0;
  // PATCH; `subresource` is "" or "status".
  virtual Result<Json> patch(const ResourceType& type, const std::string& ns,
                             const std::string& name, PatchType patch_type, const Json& patch,
                             const std::string& subresource = "") = 0;
  // DELETE with propagationPolicy=Background. NotFound is returned as an error.
  virtual Status remove(const ResourceType& type, const std::string& ns,
                        const std::string& name) = 0;
  // One watch request: calls `on_event` for each event as it arrives, returns when the stream
  // ends (ok), on an error (non-2xx status or transport failure), or soon after `cancel` is set.
  // A too-old resourceVersion arrives as a kError event with code 410, not as a Status.
  virtual Status watch(const ResourceType& type, const std::string& ns,
                       const WatchOptions& options,
                       const std::function<void(const WatchEvent&)>& on_event,
                       const CancelToken& cancel) = 0;
};

}  // namespace mr::k8s
