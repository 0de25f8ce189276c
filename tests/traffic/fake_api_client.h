// FakeApiClient: an in-memory mr::k8s::ApiClient for unit tests of any part of the project.
// Objects are stored by (group, plural, namespace, name) with API-server-like bookkeeping:
// resourceVersion bumps on every write, generation 1 on create and +1 when `spec` changes,
// PUT requires and checks metadata.resourceVersion (409 Conflict when stale), merge patch
// (RFC 7386; a metadata.resourceVersion in the patch is a precondition) and JSON patch
// (RFC 6902, a failing `test` op is 422). Strategic merge patch is approximated by merge patch.
// Types registered with setStatusSubresource() ignore status on the main endpoint and take only
// status through updateStatus()/patch(...,"status"), like the real server.
// Test hooks: injectError() fails the next N calls of a verb; setBeforeWrite() runs a callback
// before each write is applied (outside the lock, so it may call the client) to simulate a
// concurrent writer; requests() records every call. watch() replays the current objects as
// ADDED events and returns (no live stream).
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "k8s/api_client.h"

namespace mr::testing {

class FakeApiClient : public k8s::ApiClient {
 public:
  using Json = k8s::Json;
  using ResourceType = k8s::ResourceType;

  struct Request {
    std::string verb;  // get list create update updateStatus patch remove watch
    std::string plural;
    std::string ns;
    std::string name;
    std::optional<k8s::PatchType> patch_type;
    Json body;  // update/create object or patch document
    std::string subresource;
  };

  // ---- test setup and inspection ----

  // Stores `object` as if created (fills namespace, resourceVersion, uid, generation).
  Json seed(const ResourceType& type, Json object) {
    std::lock_guard lock(mu_);
    return storeNew(type, std::move(object));
  }
  std::optional<Json> object(const ResourceType& type, const std::string& ns,
                             const std::string& name) const {
    std::lock_guard lock(mu_);
    const auto it = objects_.find(key(type, ns, name));
    if (it == objects_.end()) return std::nullopt;
    return it->second;
  }
  void setStatusSubresource(const ResourceType& type) {
    std::lock_guard lock(mu_);
    status_subresource_.insert(type.group + "/" + type.plural);
  }
  // The next `times` calls of `verb` (optionally only for `plural`) fail with `status`.
  void injectError(const std::string& verb, Status status, int times = 1,
                   const std::string& plural = "") {
    std::lock_guard lock(mu_);
    faults_.push_back({verb, plural, std::move(status), times});
  }
  // Called before every create/update/updateStatus/patch/remove is applied.
  void setBeforeWrite(std::function<void(const Request&)> hook) {
    std::lock_guard lock(mu_);
    before_write_ = std::move(hook);
  }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int count(const std::string& verb) const {
    std::lock_guard lock(mu_);
    return static_cast<int>(std::count_if(requests_.begin(), requests_.end(),
                                          [&](const Request& r) { return r.verb == verb; }));
  }
  int writes() const {
    return count("create") + count("update") + count("updateStatus") + count("patch") +
           count("remove");
  }

  // ---- ApiClient ----

  Result<Json> get(const ResourceType& type, const std::string& ns,
                   const std::string& name) override {
    std::lock_guard lock(mu_);
    if (auto fault = begin({"get", type.plural, ns, name, {}, {}, ""})) return *fault;
    const auto it = objects_.find(key(type, ns, name));
    if (it == objects_.end()) return notFoundError(type, name);
    return it->second;
  }

  Result<Json> list(const ResourceType& type, const std::string& ns,
                    const k8s::ListOptions& options) override {
    std::lock_guard lock(mu_);
    if (auto fault = begin({"list", type.plural, ns, "", {}, {}, ""})) return *fault;
    Json items = Json::array();
    for (const auto& [k, obj] : objects_) {
      if (std::get<0>(k) != type.group || std::get<1>(k) != type.plural) continue;
      if (!ns.empty() && type.namespaced && std::get<2>(k) != ns) continue;
      if (!matchesLabels(obj, options.label_selector)) continue;
      items.push_back(obj);
    }
    return Json{{"apiVersion", type.apiVersion()},
                {"kind", type.kind + "List"},
                {"metadata", {{"resourceVersion", std::to_string(rv_)}}},
                {"items", items}};
  }

  Result<Json> create(const ResourceType& type, const std::string& ns,
                      const Json& object) override {
    Json obj = object;
    if (type.namespaced) obj["metadata"]["namespace"] = ns;
    const std::string name = obj["metadata"].value("name", "");
    runHook({"create", type.plural, ns, name, {}, obj, ""});
    std::lock_guard lock(mu_);
    if (auto fault = begin({"create", type.plural, ns, name, {}, obj, ""})) return *fault;
    if (objects_.count(key(type, ns, name))) {
      return Status(StatusCode::kAlreadyExists, type.plural + " \"" + name + "\" already exists",
                    409, "AlreadyExists");
    }
    if (hasStatusSubresource(type)) obj.erase("status");
    return storeNew(type, std::move(obj));
  }

  Result<Json> update(const ResourceType& type, const Json& object) override {
    return put("update", type, object);
  }
  Result<Json> updateStatus(const ResourceType& type, const Json& object) override {
    return put("updateStatus", type, object);
  }

  Result<Json> patch(const ResourceType& type, const std::string& ns, const std::string& name,
                     k8s::PatchType patch_type, const Json& patch,
                     const std::string& subresource = "") override {
    const Request request{"patch", type.plural, ns, name, patch_type, patch, subresource};
    runHook(request);
    std::lock_guard lock(mu_);
    if (auto fault = begin(request)) return *fault;
    const auto it = objects_.find(key(type, ns, name));
    if (it == objects_.end()) return notFoundError(type, name);
    Json patched = it->second;
    try {
      if (patch_type == k8s::PatchType::kJson) {
        patched = patched.patch(patch);
      } else {
        if (patch.contains("metadata") && patch["metadata"].contains("resourceVersion") &&
            patch["metadata"]["resourceVersion"] != it->second["metadata"]["resourceVersion"]) {
          return conflictError(type, name);
        }
        patched.merge_patch(patch);
      }
    } catch (const std::exception& e) {
      return Status(StatusCode::kInvalidArgument, std::string("patch failed: ") + e.what(), 422,
                    "Invalid");
    }
    return commit(type, it->second, std::move(patched), subresource == "status");
  }

  Status remove(const ResourceType& type, const std::string& ns, const std::string& name) override {
    runHook({"remove", type.plural, ns, name, {}, {}, ""});
    std::lock_guard lock(mu_);
    if (auto fault = begin({"remove", type.plural, ns, name, {}, {}, ""})) return *fault;
    if (objects_.erase(key(type, ns, name)) == 0) return notFoundError(type, name);
    ++rv_;
    return Status::ok();
  }

  Status watch(const ResourceType& type, const std::string& ns, const k8s::WatchOptions& options,
               const std::function<void(const k8s::WatchEvent&)>& on_event,
               const k8s::CancelToken& cancel) override {
    auto listed = list(type, ns, k8s::ListOptions{options.label_selector, "", "", 0, ""});
    if (!listed.isOk()) return listed.status();
    {
      std::lock_guard lock(mu_);
      requests_.push_back({"watch", type.plural, ns, "", {}, {}, ""});
    }
    for (const Json& item : (*listed)["items"]) {
      if (cancel.cancelled) break;
      on_event({k8s::WatchEventType::kAdded, item});
    }
    return Status::ok();
  }

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  struct Fault {
    std::string verb;
    std::string plural;
    Status status;
    int remaining;
  };

  static Key key(const ResourceType& type, const std::string& ns, const std::string& name) {
    return {type.group, type.plural, type.namespaced ? ns : "", name};
  }
  static Status notFoundError(const ResourceType& type, const std::string& name) {
    const std::string resource = type.group.empty() ? type.plural : type.plural + "." + type.group;
    return Status(StatusCode::kNotFound, resource + " \"" + name + "\" not found", 404, "NotFound");
  }
  static Status conflictError(const ResourceType& type, const std::string& name) {
    const std::string resource = type.group.empty() ? type.plural : type.plural + "." + type.group;
    return Status(StatusCode::kConflict,
                  "Operation cannot be fulfilled on " + resource + " \"" + name +
                      "\": the object has been modified; please apply your changes to the "
                      "latest version and try again",
                  409, "Conflict");
  }
  static bool matchesLabels(const Json& obj, const std::string& selector) {
    if (selector.empty()) return true;
    const Json labels = obj["metadata"].value("labels", Json::object());
    size_t start = 0;
    while (start <= selector.size()) {
      size_t end = selector.find(',', start);
      if (end == std::string::npos) end = selector.size();
      const std::string term = selector.substr(start, end - start);
      const size_t eq = term.find('=');
      if (eq == std::string::npos) {
        if (!labels.contains(term)) return false;
      } else if (labels.value(term.substr(0, eq), "\x01") != term.substr(eq + 1)) {
        return false;
      }
      start = end + 1;
    }
    return true;
  }

  bool hasStatusSubresource(const ResourceType& type) const {
    return status_subresource_.count(type.group + "/" + type.plural) > 0;
  }

  // Records the request and returns an injected fault, if one is due. REQUIRES: mu_ held.
  std::optional<Status> begin(const Request& request) {
    requests_.push_back(request);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
      if (it->verb != request.verb) continue;
      if (!it->plural.empty() && it->plural != request.plural) continue;
      Status status = it->status;
      if (--it->remaining <= 0) faults_.erase(it);
      return status;
    }
    return std::nullopt;
  }

  void runHook(const Request& request) {
    std::function<void(const Request&)> hook;
    {
      std::lock_guard lock(mu_);
      hook = before_write_;
    }
    if (hook) hook(request);
  }

  // REQUIRES: mu_ held.
  Json storeNew(const ResourceType& type, Json obj) {
    Json& meta = obj["metadata"];
    if (!type.namespaced) meta.erase("namespace");
    meta["resourceVersion"] = std::to_string(++rv_);
    meta["uid"] = "uid-" + std::to_string(rv_);
    meta["generation"] = 1;
    if (!meta.contains("creationTimestamp")) meta["creationTimestamp"] = "2026-01-01T00:00:00Z";
    if (!obj.contains("apiVersion")) obj["apiVersion"] = type.apiVersion();
    if (!obj.contains("kind")) obj["kind"] = type.kind;
    objects_[key(type, meta.value("namespace", ""), meta.value("name", ""))] = obj;
    return obj;
  }

  Result<Json> put(const std::string& verb, const ResourceType& type, const Json& object) {
    const std::string ns = object["metadata"].value("namespace", "");
    const std::string name = object["metadata"].value("name", "");
    const Request request{verb, type.plural, ns, name, {}, object, ""};
    runHook(request);
    std::lock_guard lock(mu_);
    if (auto fault = begin(request)) return *fault;
    const auto it = objects_.find(key(type, ns, name));
    if (it == objects_.end()) return notFoundError(type, name);
    const std::string rv = object["metadata"].value("resourceVersion", "");
    if (rv.empty()) {
      return Status(StatusCode::kInvalidArgument,
                    "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update",
                    422, "Invalid");
    }
    if (rv != it->second["metadata"].value("resourceVersion", "")) {
      return conflictError(type, name);
    }
    return commit(type, it->second, object, verb == "updateStatus");
  }

  // Applies `next` over `current` with subresource rules. REQUIRES: mu_ held.
  Json commit(const ResourceType& type, Json& current, Json next, bool status_only) {
    if (hasStatusSubresource(type)) {
      if (status_only) {
        Json only = current;
        if (next.contains("status")) only["status"] = next["status"];
        next = std::move(only);
      } else if (current.contains("status")) {
        next["status"] = current["status"];
      } else {
        next.erase("status");
      }
    }
    Json& meta = next["metadata"];
    for (const char* kept : {"uid", "creationTimestamp", "namespace", "name"}) {
      if (current["metadata"].contains(kept)) meta[kept] = current["metadata"][kept];
    }
    long long generation = current["metadata"].value("generation", 1LL);
    if (next.value("spec", Json()) != current.value("spec", Json())) ++generation;
    meta["generation"] = generation;
    if (next == current) return current;  // a no-op write keeps the resourceVersion
    meta["resourceVersion"] = std::to_string(++rv_);
    current = next;
    return current;
  }

  mutable std::mutex mu_;
  std::map<Key, Json> objects_;
  std::set<std::string> status_subresource_;
  std::vector<Fault> faults_;
  std::vector<Request> requests_;
  std::function<void(const Request&)> before_write_;
  long long rv_ = 100;
};

}  // namespace mr::testing
