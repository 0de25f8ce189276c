#include "k8s/object_key.h"

#include "common/json_read.h"

namespace mr::k8s {

ObjectKey ObjectKey::parse(const std::string& key) {
  const size_t slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

ObjectKey ObjectKey::of(const Json& object) {
  const Json& meta = jsonObject(object, "metadata");
  return {jsonString(meta, "namespace"), jsonString(meta, "name")};
}

std::string resourceVersionOf(const Json& object) {
  return jsonString(jsonObject(object, "metadata"), "resourceVersion");
}

}  // namespace mr::k8s
