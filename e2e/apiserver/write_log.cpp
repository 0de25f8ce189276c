#include "write_log.h"

#include "common/time_format.h"

namespace mr::apiserver {

namespace {

int64_t micros(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

}  // namespace

Status WriteLog::openFile(const std::string& path) {
  std::lock_guard lock(mu_);
  file_.open(path, std::ios::app);
  if (!file_) return unavailable("cannot open write log " + path);
  return Status::ok();
}

nlohmann::json WriteLog::toJson(const WriteRecord& r, uint64_t seq) {
  return {{"seq", seq},
          {"userAgent", r.user_agent},
          {"verb", r.verb},
          {"group", r.group},
          {"resource", r.resource},
          {"namespace", r.ns},
          {"name", r.name},
          {"subresource", r.subresource},
          {"dryRun", r.dry_run},
          {"code", r.code},
          {"received", formatRfc3339Micro(r.received)},
          {"receivedMicros", micros(r.received)},
          {"completed", formatRfc3339Micro(r.completed)},
          {"completedMicros", micros(r.completed)}};
}

void WriteLog::record(const WriteRecord& r) {
  std::lock_guard lock(mu_);
  nlohmann::json item = toJson(r, ++seq_);
  if (file_.is_open()) {
    file_ << item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    file_.flush();
  }
  items_.push_back(std::move(item));
  while (items_.size() > capacity_) {
    items_.pop_front();
    ++dropped_;
  }
}

nlohmann::json WriteLog::snapshot() const {
  std::lock_guard lock(mu_);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : items_)
    items.push_back(i);
  return {{"items", std::move(items)}, {"dropped", dropped_}};
}

void WriteLog::clear() {
  std::lock_guard lock(mu_);
  items_.clear();
  dropped_ = 0;
}

}  // namespace mr::apiserver
