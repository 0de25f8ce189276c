// ObjectKey: {namespace, name}, the only thing the work queue carries (level-triggered
// reconciles re-read state from the cache). String form "ns/name", or "name" when cluster-scoped.
// Thread-safety: value type.
#pragma once

#include <string>

#include "k8s/api_client.h"

namespace mr::k8s {

struct ObjectKey {
  std::string ns;
  std::string name;

  std::string toString() const { return ns.empty() ? name : ns + "/" + name; }
  static ObjectKey parse(const std::string& key);
  // Key of an object from its metadata.
  static ObjectKey of(const Json& object);
  bool operator==(const ObjectKey&) const = default;
};

// metadata.resourceVersion of an object, "" when absent.
std::string resourceVersionOf(const Json& object);

}  // namespace mr::k8s
