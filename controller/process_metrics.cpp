#include "controller/process_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

namespace mr::controller {
namespace {

class RealProcFs final : public ProcFs {
 public:
  std::optional<std::string> read(const std::string& path) const override {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::optional<long> countEntries(const std::string& dir) const override {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return std::nullopt;
    long n = 0;
    while (const dirent* e = readdir(d)) {
      const std::string_view name(e->d_name);
      if (name != "." && name != "..") ++n;
    }
    closedir(d);
    return n;
  }
};

std::optional<double> toNumber(std::string_view s) {
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
      ++i;
    const size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
      ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

}  // namespace

const ProcFs& ProcFs::real() {
  static const RealProcFs fs;
  return fs;
}

std::optional<ProcStat> parseProcStat(const std::string& stat, long ticks_per_second,
                                      long page_size) {
  // "pid (comm) state ppid ...": comm may hold anything, so fields count from the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || ticks_per_second <= 0) return std::nullopt;
  const auto f = fields(std::string_view(stat).substr(close + 1));
  // f[0] is field 3 (state): field n of proc(5) is f[n - 3].
  if (f.size() < 22) return std::nullopt;
  const auto utime = toNumber(f[11]), stime = toNumber(f[12]), start = toNumber(f[19]),
             vsize = toNumber(f[20]), rss = toNumber(f[21]);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  ProcStat p;
  p.cpu_seconds = (*utime + *stime) / static_cast<double>(ticks_per_second);
  p.resident_bytes = *rss * static_cast<double>(page_size);
  p.virtual_bytes = *vsize;
  p.start_ticks = *start;
  return p;
}

std::optional<double> parseBootTime(const std::string& proc_stat) {
  std::istringstream in(proc_stat);
  for (std::string line; std::getline(in, line);) {
    const auto f = fields(line);
    if (f.size() == 2 && f[0] == "btime") return toNumber(f[1]);
  }
  return std::nullopt;
}

std::optional<double> parseMaxOpenFiles(const std::string& limits) {
  std::istringstream in(limits);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max open files", 0) != 0) continue;
    const auto f = fields(std::string_view(line).substr(14));
    if (f.empty()) return std::nullopt;
    return toNumber(f[0]);  // "unlimited" is not a number
  }
  return std::nullopt;
}

ProcessMetrics::ProcessMetrics(const ProcFs& fs)
    : fs_(fs), ticks_per_second_(sysconf(_SC_CLK_TCK)), page_size_(sysconf(_SC_PAGESIZE)) {}

void ProcessMetrics::appendTo(std::string& out) const {
  using textmetrics::appendHeader;
  using textmetrics::appendSample;
  std::optional<ProcStat> stat;
  if (auto text = fs_.read("/proc/self/stat")) {
    stat = parseProcStat(*text, ticks_per_second_, page_size_);
  }
  std::optional<double> boot;
  if (auto text = fs_.read("/proc/stat")) boot = parseBootTime(*text);
  std::optional<double> max_fds;
  if (auto text = fs_.read("/proc/self/limits")) max_fds = parseMaxOpenFiles(*text);
  const std::optional<long> open_fds = fs_.countEntries("/proc/self/fd");

  appendHeader(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
               "counter");
  if (stat) appendSample(out, "process_cpu_seconds_total", {}, stat->cpu_seconds);
  appendHeader(out, "process_open_fds", "Number of open file descriptors.", "gauge");
  if (open_fds) appendSample(out, "process_open_fds", {}, static_cast<double>(*open_fds));
  appendHeader(out, "process_max_fds", "Maximum number of open file descriptors.", "gauge");
  if (max_fds) appendSample(out, "process_max_fds", {}, *max_fds);
  appendHeader(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge");
  if (stat) appendSample(out, "process_virtual_memory_bytes", {}, stat->virtual_bytes);
  appendHeader(out, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge");
  if (stat) appendSample(out, "process_resident_memory_bytes", {}, stat->resident_bytes);
  appendHeader(out, "process_start_time_seconds",
               "Start time of the process since unix epoch in seconds.", "gauge");
  if (stat && boot) {
    appendSample(out, "process_start_time_seconds", {},
                 *boot + stat->start_ticks / static_cast<double>(ticks_per_second_));
  }
}

}  // namespace mr::controller
