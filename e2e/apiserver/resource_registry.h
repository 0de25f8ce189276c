// The set of API resources the server serves: built-in kinds plus those registered by
// CustomResourceDefinitions. Discovery, OpenAPI, routing and tables read it.
// A ResourceType is immutable once registered; re-registering a CRD replaces the pointer.
// Thread-safety: all methods are safe from any thread (shared_mutex).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace mr::apiserver {

using json = nlohmann::json;

struct PrinterColumn {
  std::string name;
  std::string type;  // integer|number|string|boolean|date
  std::string format;
  std::string description;
  std::string json_path;
  int priority = 0;
};

struct ServedVersion {
  std::string name;
  bool storage = false;
  json schema;  // openAPIV3Schema (null for built-ins)
  std::vector<PrinterColumn> columns;
  bool status_subresource = false;
  bool scale_subresource = false;
  bool token_subresource = false;  // serviceaccounts/token (TokenRequest)
  // subresources.scale of a CRD (".spec.replicas" ...); built-in Deployments use the same
  // replicas paths and their spec.selector.
  std::string spec_replicas_path;
  std::string status_replicas_path;
  std::string label_selector_path;  // empty: no selector published
};

struct ResourceType {
  std::string group;  // "" for core
  std::string plural;
  std::string singular;
  std::string kind;
  std::string list_kind;
  bool namespaced = true;
  bool custom = false;  // registered by a CRD
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<ServedVersion> versions;  // served versions, preferred first

  // Storage key: "configmaps", "deployments.apps", "modelrollouts.modelrollout.io".
  std::string key() const { return group.empty() ? plural : plural + "." + group; }
  const ServedVersion* version(const std::string& v) const;
  const ServedVersion& storageVersion() const;
  std::string apiVersion(const std::string& v) const { return group.empty() ? v : group + "/" + v; }
};
using ResourceTypePtr = std::shared_ptr<const ResourceType>;

class ResourceRegistry {
 public:
  ResourceRegistry();  // registers the built-in kinds

  // The resource served at group/version/plural, or null.
  ResourceTypePtr find(const std::string& group, const std::string& version,
                       const std::string& plural) const;
  ResourceTypePtr findByKey(const std::string& key) const;
  std::vector<ResourceTypePtr> all() const;
  // Groups in discovery order (core "" first), each with its versions, preferred first.
  std::vector<std::pair<std::string, std::vector<std::string>>> groups() const;

  void add(ResourceTypePtr type);
  void remove(const std::string& key);
  // Bumped on every change; discovery/OpenAPI hashes derive from it.
  uint64_t generation() const;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, ResourceTypePtr> by_key_;
  std::vector<std::string> order_;  // registration order of keys
  uint64_t generation_ = 1;
};

// Builds the ResourceType a CRD object declares; errors name the offending field.
Result<ResourceTypePtr> resourceTypeFromCrd(const json& crd);

}  // namespace mr::apiserver
