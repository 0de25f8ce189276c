// ProcessMetrics: the process_* metrics every Prometheus client library exports, read from
// /proc at scrape time the way client_golang's process collector does:
//   process_cpu_seconds_total      utime + stime of /proc/self/stat, in seconds
//   process_resident_memory_bytes  rss of /proc/self/stat times the page size
//   process_virtual_memory_bytes   vsize of /proc/self/stat
//   process_open_fds               entries of /proc/self/fd
//   process_max_fds                soft "Max open files" of /proc/self/limits
//   process_start_time_seconds     starttime of /proc/self/stat plus btime of /proc/stat (Unix)
// A value that cannot be read is left out of that scrape (its # HELP/# TYPE lines stay).
// All reads go through ProcFs so tests feed fixed contents.
// Thread-safety: appendTo() may run on any thread; ProcessMetrics holds no mutable state.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/text_metrics.h"

namespace mr::controller {

class ProcFs {
 public:
  virtual ~ProcFs() = default;
  virtual std::optional<std::string> read(const std::string& path) const = 0;
  virtual std::optional<long> countEntries(const std::string& dir) const = 0;
  static const ProcFs& real();
};

// Fields of /proc/<pid>/stat in the units of the metrics.
struct ProcStat {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_ticks = 0;  // clock ticks after boot
};
// `stat` is the whole file; the command name may contain spaces and ')'.
std::optional<ProcStat> parseProcStat(const std::string& stat, long ticks_per_second,
                                      long page_size);
// btime of /proc/stat (boot time, Unix seconds).
std::optional<double> parseBootTime(const std::string& proc_stat);
// Soft limit of "Max open files" in /proc/<pid>/limits; nullopt when unlimited or missing.
std::optional<double> parseMaxOpenFiles(const std::string& limits);

class ProcessMetrics final : public TextMetricsSource {
 public:
  explicit ProcessMetrics(const ProcFs& fs = ProcFs::real());
  void appendTo(std::string& out) const override;

 private:
  const ProcFs& fs_;
  long ticks_per_second_;
  long page_size_;
};

}  // namespace mr::controller
