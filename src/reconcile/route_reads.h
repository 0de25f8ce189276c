// RouteReads: the ApiClient the traffic routers are given. GETs of HTTPRoutes and
// VirtualServices are answered from the controller's read cache (ControllerOptions::
// read_cached) when it can answer; everything else goes straight to the API server. Before
// this, every pass GET its route (15k GETs in bench churn 1,000).
// Staleness rules, so a pass never acts on a route older than what it knows:
// - after our own successful PUT of a route, reads get the PUT's response for as long as the
//   cache still shows the version that PUT replaced (at most `own_write_wait`);
// - after a 409 on a route, the next read of it is a GET (the cache may hold the same stale
//   copy, and the retry would conflict again);
// - a route missing from a synced cache, or a cache not synced (CRD not installed, list
//   forbidden), is read with a GET.
// Thread-safety: safe from many threads (its records are locked).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/clock.h"
#include "k8s/api_client.h"

namespace mr::reconcile {

// nullopt: the cache cannot answer (type not cached or not synced); nullptr: synced, absent.
using RouteCache = std::function<std::optional<std::shared_ptr<const nlohmann::json>>(
    const k8s::ResourceType& type, const std::string& ns, const std::string& name)>;

class RouteReads final : public k8s::ApiClient {
 public:
  // REQUIRES: `inner` and `clock` outlive this; `cache` may be empty (every read is a GET).
  RouteReads(k8s::ApiClient& inner, RouteCache cache, const Clock& clock,
             std::chrono::milliseconds own_write_wait);

  Result<k8s::Json> get(const k8s::ResourceType& type, const std::string& ns,
                        const std::string& name) override;
  Result<k8s::Json> update(const k8s::ResourceType& type, const k8s::Json& object) override;
  Result<k8s::Json> list(const k8s::ResourceType& type, const std::string& ns,
                         const k8s::ListOptions& options) override {
    return inner_.list(type, ns, options);
  }
  Result<k8s::Json> create(const k8s::ResourceType& type, const std::string& ns,
                           const k8s::Json& object) override {
    return inner_.create(type, ns, object);
  }
  Result<k8s::Json> updateStatus(const k8s::ResourceType& type, const k8s::Json& object) override {
    return inner_.updateStatus(type, object);
  }
  Result<k8s::Json> patch(const k8s::ResourceType& type, const std::string& ns,
                          const std::string& name, k8s::PatchType patch_type,
                          const k8s::Json& patch, const std::string& subresource) override;
  Status remove(const k8s::ResourceType& type, const std::string& ns,
                const std::string& name) override {
    return inner_.remove(type, ns, name);
  }
  Status watch(const k8s::ResourceType& type, const std::string& ns,
               const k8s::WatchOptions& options,
               const std::function<void(const k8s::WatchEvent&)>& on_event,
               const k8s::CancelToken& cancel) override {
    return inner_.watch(type, ns, options, on_event, cancel);
  }

  // Route reads answered by the cache (or by our own write's response) and by a GET.
  uint64_t cachedReads() const { return cached_reads_; }
  uint64_t serverReads() const { return server_reads_; }

 private:
  struct OwnWrite {
    std::string written_over;  // the resourceVersion our PUT replaced
    std::shared_ptr<const k8s::Json> stored;
    SteadyTime at;
  };
  static bool isRoute(const k8s::ResourceType& type);
  static std::string keyOf(const k8s::ResourceType& type, const std::string& ns,
                           const std::string& name);
  Result<k8s::Json> serverGet(const k8s::ResourceType& type, const std::string& ns,
                              const std::string& name);

  k8s::ApiClient& inner_;
  RouteCache cache_;
  const Clock& clock_;
  std::chrono::milliseconds own_write_wait_;
  std::mutex mu_;
  std::map<std::string, OwnWrite> own_writes_;
  std::set<std::string> read_from_server_;  // conflicted: next read is a GET
  std::atomic<uint64_t> cached_reads_{0};
  std::atomic<uint64_t> server_reads_{0};
};

}  // namespace mr::reconcile
