#include "k8s/watch_parser.h"

namespace mr::k8s {

const char* watchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

Result<WatchEvent> parseWatchEvent(std::string_view line) {
  Json frame = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (frame.is_discarded() || !frame.is_object()) {
    return internalError("watch frame is not a JSON object: " + std::string(line.substr(0, 120)));
  }
  auto type_it = frame.find("type");
  auto object_it = frame.find("object");
  if (type_it == frame.end() || !type_it->is_string() || object_it == frame.end() ||
      !object_it->is_object()) {
    return internalError("watch frame lacks type/object: " + std::string(line.substr(0, 120)));
  }
  const std::string& type = type_it->get_ref<const std::string&>();
  WatchEvent event{WatchEventType::kError, std::move(*object_it)};
  if (type == "ADDED") {
    event.type = WatchEventType::kAdded;
  } else if (type == "MODIFIED") {
    event.type = WatchEventType::kModified;
  } else if (type == "DELETED") {
    event.type = WatchEventType::kDeleted;
  } else if (type == "BOOKMARK") {
    event.type = WatchEventType::kBookmark;
  } else if (type == "ERROR") {
    event.type = WatchEventType::kError;
  } else {
    return internalError("unknown watch event type " + type);
  }
  return event;
}

void WatchStreamDecoder::feed(std::string_view chunk, const Sink& sink) {
  while (!chunk.empty()) {
    const size_t newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      if (discarding_) return;
      pending_.append(chunk);
      if (pending_.size() > max_frame_bytes_) {
        pending_.clear();
        pending_.shrink_to_fit();
        discarding_ = true;
        sink(internalError("watch frame exceeds " + std::to_string(max_frame_bytes_) + " bytes"));
      }
      return;
    }
    std::string_view piece = chunk.substr(0, newline);
    chunk.remove_prefix(newline + 1);
    if (discarding_) {
      discarding_ = false;
      continue;
    }
    std::string_view line = piece;
    if (!pending_.empty()) {
      pending_.append(piece);
      line = pending_;
    }
    // Tolerate CRLF and blank keep-alive lines.
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
      line.remove_suffix(1);
    if (!line.empty()) sink(parseWatchEvent(line));
    pending_.clear();
  }
}

}  // namespace mr::k8s
