// PackedObject: a cached Kubernetes object kept as deflate-compressed compact JSON text.
// A parsed nlohmann::json tree costs ~5-10x its wire size in heap (a std::map node, a key
// string and a value per member); the informer caches of a controller with 10,000 rollouts hold
// ~60,000 objects, so they are stored packed and parsed again on each read (tens of
// microseconds for an object of a few KiB).
// Thread-safety: immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace mr::k8s {

class PackedObject {
 public:
  PackedObject() = default;
  explicit PackedObject(const nlohmann::json& object);

  // The object as it was packed. A null json for a default-constructed PackedObject; a
  // discarded json (is_discarded()) if the packed bytes are corrupt.
  nlohmann::json unpack() const;
  // Bytes held on the heap for the packed form (for tests and memory accounting).
  size_t packedBytes() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

 private:
  std::string bytes_;  // raw deflate stream of the JSON text (preset dictionary)
  uint32_t text_size_ = 0;
  bool plain_ = false;  // compression failed (out of memory): bytes_ is the text itself
};

}  // namespace mr::k8s
