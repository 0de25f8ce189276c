// WatchStreamDecoder: turns the bytes of a Kubernetes watch response (newline-delimited JSON
// frames, as Go's json.Encoder writes them) into WatchEvents. Bytes arrive in arbitrary chunks:
// a frame may be split across chunks and a chunk may hold several frames, so the decoder
// buffers the incomplete tail. A line that is not a valid watch frame yields an error for that
// line only; the following lines still decode.
// Thread-safety: not thread-safe; one decoder per watch stream.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "k8s/api_client.h"

namespace mr::k8s {

// Parses one frame: {"type": "...", "object": {...}}.
Result<WatchEvent> parseWatchEvent(std::string_view line);
const char* watchEventTypeName(WatchEventType type);

class WatchStreamDecoder {
 public:
  using Sink = std::function<void(Result<WatchEvent>)>;
  // A frame larger than this is reported as an error and discarded (protects memory).
  explicit WatchStreamDecoder(size_t max_frame_bytes = 64u << 20)
      : max_frame_bytes_(max_frame_bytes) {}

  // Feeds a chunk; calls `sink` once per complete line, in order.
  void feed(std::string_view chunk, const Sink& sink);
  // Bytes of an incomplete trailing frame still buffered.
  size_t buffered() const { return pending_.size(); }

 private:
  size_t max_frame_bytes_;
  std::string pending_;
  bool discarding_ = false;  // inside an oversized frame: drop bytes until its newline
};

}  // namespace mr::k8s
