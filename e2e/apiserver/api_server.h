// The Kubernetes-API-compatible request handler: authentication, health and version
// endpoints, discovery, OpenAPI, the REST verbs on every registered resource (with status and
// scale subresources), watches, tables, fault injection (/admin/faults), a log of every write
// with its client and times (/admin/writes, write_log.h) and background garbage collection of
// owner-referenced objects, and RBAC (access_control.cpp): the admin token (--token) is
// kubernetes-admin in system:masters; ServiceAccount tokens from the TokenRequest API
// (serviceaccounts/token) authenticate as their ServiceAccount and are authorized by Roles,
// ClusterRoles and their bindings like kube-apiserver's RBAC authorizer (rbac_authorizer.h);
// ClusterRole aggregation is kept up to date after every ClusterRole write; every decision is
// counted per identity (/admin/authorizations, authz_log.h).
// Usage: construct, then pass handle() to an HttpServer. One ApiServer per process or test.
// Thread-safety: handle() is called concurrently from connection threads; all shared state
// lives in ObjectStore, ResourceRegistry, FaultInjector and the GC queue, each internally locked.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api_errors.h"
#include "authz_log.h"
#include "common/clock.h"
#include "faults.h"
#include "http_server.h"
#include "object_rules.h"
#include "object_store.h"
#include "rbac_authorizer.h"
#include "resource_registry.h"
#include "service_account_tokens.h"
#include "write_log.h"

namespace mr::apiserver {

struct ApiServerOptions {
  std::string token;  // empty = no authentication
  std::chrono::milliseconds bookmark_interval{60000};
  size_t history_size = 10000;
  uint64_t seed = 1;
  std::string external_address;  // "127.0.0.1:PORT" for /api's serverAddressByClientCIDRs
};

// What a URL under /api or /apis addresses.
struct RequestInfo {
  std::string group, version, resource, ns, name, subresource, verb;
  ResourceTypePtr type;
};

class ApiServer {
 public:
  ApiServer(ApiServerOptions options, const Clock& clock);
  ~ApiServer();

  void handle(const HttpRequest& req, ResponseWriter& w);

  ObjectStore& store() { return store_; }
  ResourceRegistry& registry() { return registry_; }
  FaultInjector& faults() { return faults_; }
  WriteLog& writeLog() { return write_log_; }
  AuthzLog& authzLog() { return authz_log_; }
  void setExternalAddress(const std::string& a) { options_.external_address = a; }

 private:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  void sendJson(ResponseWriter& w, int code, const nlohmann::json& body, const Headers& h = {},
                const std::string& content_type = "application/json");
  void sendError(ResponseWriter& w, const ApiError& e);

  // Authentication and authorization (access_control.cpp)
  void seedRbac();
  // nullopt: 401. No Authorization header counts as the admin only when no --token is set.
  std::optional<UserInfo> authenticate(const HttpRequest& req) const;
  // Records the decision; sends 403 and returns false when denied.
  bool authorizeRequest(const HttpRequest& req, const UserInfo& user, ResponseWriter& w);
  void doTokenRequest(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w);
  // The clusterrole-aggregation controller: rewrites the rules of every aggregated ClusterRole.
  void reconcileAggregation();

  // Routing
  bool handleDiscovery(const HttpRequest& req, ResponseWriter& w);
  bool handleOpenApi(const HttpRequest& req, ResponseWriter& w);
  void handleAdmin(const HttpRequest& req, ResponseWriter& w);
  std::optional<ApiError> parseResourcePath(const HttpRequest& req, RequestInfo& info);
  void handleResource(const HttpRequest& req, ResponseWriter& w, SystemTime received);
  void dispatchVerb(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w);

  // Verbs (crud_handlers.cpp)
  void doGet(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w);
  void doList(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w);
  void doCreate(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w);
  void doUpdate(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w);
  void doPatch(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w);
  void doDelete(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w);
  void doDeleteCollection(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w);
  void doScale(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w);
  // Shared write path for PUT and PATCH: `desired` is the full object the client wants.
  Result<ObjPtr> writeObject(const RequestInfo& ri,
                             const std::function<Result<nlohmann::json>(const ObjPtr&)>& desired,
                             bool require_rv, bool allow_create, RuleContext& ctx,
                             std::optional<ApiError>& err, bool dry_run, bool& created);
  // Deletes one object honouring finalizers and preconditions; queues GC of dependents.
  Result<ObjPtr> deleteObject(const ResourceType& t, const std::string& ns, const std::string& name,
                              const nlohmann::json& options, std::optional<ApiError>& err,
                              bool dry_run);
  void afterDelete(const ResourceType& t, const nlohmann::json& deleted, const std::string& policy);

  // Watch (watch_handler.cpp)
  void doWatch(const HttpRequest& req, const RequestInfo& ri, ResponseWriter& w);

  // Output helpers
  nlohmann::json forVersion(const ResourceType& t, const std::string& version,
                            const ObjPtr& o) const;
  bool wantsTable(const HttpRequest& req) const;

  // Garbage collection (garbage_collector.cpp)
  void gcLoop();
  void enqueueGc(const std::string& uid, const std::string& policy);

  ApiServerOptions options_;
  const Clock& clock_;
  ObjectStore store_;
  ResourceRegistry registry_;
  FaultInjector faults_;
  WriteLog write_log_;
  AuthzLog authz_log_;
  ServiceAccountTokens sa_tokens_;
  std::mutex aggregation_mu_;

  std::mutex gc_mu_;
  std::condition_variable gc_cv_;
  std::deque<std::pair<std::string, std::string>> gc_queue_;  // (owner uid, propagation policy)
  bool gc_stop_ = false;
  std::thread gc_thread_;
};

}  // namespace mr::apiserver
