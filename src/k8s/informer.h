// Informer: a local cache of one resource type kept current by a Reflector on its own thread.
// The first list is swapped in whole, and hasSynced() turns true only then, so reconciles never
// see a half-filled cache. Later relists replace the store: objects that vanished are reported
// as deletes. Event handlers run on the informer thread after the store is updated; they
// should only enqueue keys. Objects pass through compactObject (managedFields and kubectl's
// last-applied annotation dropped) and the optional `transform` (a projection to the fields
// the controller reads), then are stored packed (packed_object.h): get()/list() return a fresh
// parse each call, so readers own their copy and the cache costs ~its compressed size.
// Thread-safety: get/list/hasSynced from any thread; addHandler before start().
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "k8s/label_selector.h"
#include "k8s/packed_object.h"
#include "k8s/reflector.h"

namespace mr::k8s {

using ObjectPtr = std::shared_ptr<const Json>;

struct ResourceEventHandler {
  std::function<void(const ObjectPtr&)> on_add;
  std::function<void(const ObjectPtr& old_object, const ObjectPtr& new_object)> on_update;
  std::function<void(const ObjectPtr&)> on_delete;
};

struct InformerOptions {
  std::string ns;              // "" = all namespaces
  std::string label_selector;  // sent to the server; objects outside it never enter the cache
  ReflectorOptions reflector;  // ns/label_selector are copied in from above
  // Applied to every object before it is stored (client-go's SetTransform). It must keep
  // metadata.name/namespace/resourceVersion and whatever handlers and readers use.
  std::function<Json(Json)> transform;
  // Keep kubectl's last-applied annotation: for objects the reader writes back whole with a
  // PUT (dropping it would break the owner's next `kubectl apply`).
  bool keep_last_applied = false;
};

// Removes what no controller reads and is large: metadata.managedFields and the
// kubectl.kubernetes.io/last-applied-configuration annotation (a second copy of the spec),
// unless `keep_last_applied`. An API server keeps managedFields a PUT leaves out.
Json compactObject(Json object, bool keep_last_applied = false);

class Informer final : public ReflectorSink {
 public:
  Informer(ApiClient& client, ResourceType type, InformerOptions options, const Clock& clock);
  ~Informer() override;

  // REQUIRES: called before start().
  void addHandler(ResourceEventHandler handler);
  void start();
  void stop();

  bool hasSynced() const { return synced_.load(); }
  const ResourceType& type() const { return type_; }
  ObjectPtr get(const std::string& ns, const std::string& name) const;
  // Objects in `ns` ("" = all) matching `selector`.
  std::vector<ObjectPtr> list(const std::string& ns = "",
                              const LabelSelector& selector = LabelSelector()) const;
  size_t size() const;
  const Reflector& reflector() const { return reflector_; }

  // ReflectorSink (called on the informer thread; public so tests can drive the store).
  void replace(std::vector<Json> items, const std::string& resource_version) override;
  void apply(WatchEventType type, Json object) override;
  void beginList() override;
  void addListItem(Json item) override;
  void endList(const std::string& resource_version) override;

 private:
  ResourceType type_;
  InformerOptions options_;
  Reflector reflector_;
  std::vector<ResourceEventHandler> handlers_;
  mutable std::mutex mu_;
  struct Entry {
    PackedObject object;
    std::string resource_version;
  };
  Json prepare(Json object) const;
  ObjectPtr unpack(const std::string& key, const Entry& entry) const;

  std::unordered_map<std::string, Entry> store_;    // key "ns/name"
  std::unordered_map<std::string, Entry> pending_;  // a list in progress (informer thread)
  std::atomic<bool> synced_{false};
  std::thread thread_;
};

}  // namespace mr::k8s
