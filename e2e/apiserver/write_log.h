// WriteLog: who wrote what, when. Every mutating request to a resource (create, update, patch,
// delete, deletecollection, including status/scale subresources, dry runs and requests failed
// by an injected fault) is recorded with the client's identity (its User-Agent; the controller
// puts its leader-election identity there), the time the request had fully arrived (before
// any injected latency) and the time its response was sent, and the HTTP code. Tests read it
// through `GET /admin/writes` (DELETE clears it) or from the JSON-lines file given by
// --write-log, to check e.g. that no replica wrote after its lease expired. Recording changes
// nothing a client can see on the API.
// The in-memory list keeps the latest `capacity` entries (`dropped` counts the rest); the file
// keeps all.
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace mr::apiserver {

struct WriteRecord {
  std::string user_agent;
  std::string verb;  // create update patch delete deletecollection
  std::string group, resource, ns, name, subresource;
  bool dry_run = false;
  int code = 0;
  SystemTime received{};
  SystemTime completed{};
};

class WriteLog {
 public:
  explicit WriteLog(size_t capacity = 100000) : capacity_(capacity) {}

  // Appends every later record to `path` as one JSON object per line.
  Status openFile(const std::string& path);
  void record(const WriteRecord& r);
  // {"items": [...], "dropped": N}; each item as written to the file.
  nlohmann::json snapshot() const;
  void clear();

  static nlohmann::json toJson(const WriteRecord& r, uint64_t seq);

 private:
  mutable std::mutex mu_;
  size_t capacity_;
  uint64_t seq_ = 0;
  uint64_t dropped_ = 0;
  std::deque<nlohmann::json> items_;
  std::ofstream file_;
};

}  // namespace mr::apiserver
