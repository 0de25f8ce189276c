// process_* metrics computed from /proc contents (fixed files through a fake ProcFs).
#include "controller/process_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

namespace mr::controller {
namespace {

// A command name with spaces and parentheses: fields must be counted from the last ')'.
const char* kStat =
    "12345 (my (odd) name) S 1 12345 12345 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 4 0 123456 "
    "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
const char* kProcStat = "cpu  1 2 3 4\nbtime 1764500000\nprocesses 42\n";
const char* kLimits =
    "Limit                     Soft Limit           Hard Limit           Units     \n"
    "Max cpu time              unlimited            unlimited            seconds   \n"
    "Max open files            1024                 524288               files     \n";

class FakeProcFs final : public ProcFs {
 public:
  std::map<std::string, std::string> files;
  std::optional<long> fds = 17;
  std::optional<std::string> read(const std::string& path) const override {
    auto it = files.find(path);
    return it == files.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<long> countEntries(const std::string& dir) const override {
    return dir == "/proc/self/fd" ? fds : std::nullopt;
  }
};

TEST(ProcessMetricsTest, ParsesStatCountingFieldsFromTheLastParenthesis) {
  auto p = parseProcStat(kStat, 100, 4096);
  ASSERT_TRUE(p.has_value());
  EXPECT_DOUBLE_EQ(p->cpu_seconds, 3.0);  // (250 + 50) / 100
  EXPECT_DOUBLE_EQ(p->resident_bytes, 2560.0 * 4096);
  EXPECT_DOUBLE_EQ(p->virtual_bytes, 104857600);
  EXPECT_DOUBLE_EQ(p->start_ticks, 123456);
  EXPECT_FALSE(parseProcStat("12345 (short) S 1 2 3", 100, 4096).has_value());
  EXPECT_FALSE(parseProcStat("no parenthesis", 100, 4096).has_value());
}

TEST(ProcessMetricsTest, ParsesBootTimeAndSoftOpenFileLimit) {
  EXPECT_EQ(parseBootTime(kProcStat), 1764500000);
  EXPECT_FALSE(parseBootTime("cpu 1 2 3\n").has_value());
  EXPECT_EQ(parseMaxOpenFiles(kLimits), 1024);
  EXPECT_FALSE(
      parseMaxOpenFiles("Max open files            unlimited   unlimited   files\n").has_value());
}

TEST(ProcessMetricsTest, ScrapeHasEveryProcessMetricFromTheFiles) {
  FakeProcFs fs;
  fs.files = {
      {"/proc/self/stat", kStat}, {"/proc/stat", kProcStat}, {"/proc/self/limits", kLimits}};
  std::string out;
  ProcessMetrics(fs).appendTo(out);
  const long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
  const auto line = [](const std::string& name, double v) {
    std::string s;
    textmetrics::appendSample(s, name, {}, v);
    return s;
  };
  EXPECT_NE(out.find(line("process_cpu_seconds_total", 300.0 / ticks)), std::string::npos) << out;
  EXPECT_NE(out.find(line("process_resident_memory_bytes", 2560.0 * page)), std::string::npos);
  EXPECT_NE(out.find(line("process_virtual_memory_bytes", 104857600)), std::string::npos);
  EXPECT_NE(out.find(line("process_open_fds", 17)), std::string::npos);
  EXPECT_NE(out.find(line("process_max_fds", 1024)), std::string::npos);
  EXPECT_NE(out.find(line("process_start_time_seconds", 1764500000 + 123456.0 / ticks)),
            std::string::npos);
  EXPECT_NE(out.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
}

TEST(ProcessMetricsTest, UnreadableFilesLeaveTheirSamplesOutButKeepTheFamilies) {
  FakeProcFs fs;
  fs.fds = std::nullopt;
  std::string out;
  ProcessMetrics(fs).appendTo(out);
  EXPECT_EQ(out.find("\nprocess_"), std::string::npos) << out;
  EXPECT_NE(out.find("# TYPE process_open_fds gauge\n"), std::string::npos);
  EXPECT_NE(out.find("# TYPE process_start_time_seconds gauge\n"), std::string::npos);
}

}  // namespace
}  // namespace mr::controller
