#include "common/time_format.h"

#include <gtest/gtest.h>

namespace mr {
namespace {

TEST(TimeFormat, FormatsUtc) {
  const SystemTime t = std::chrono::system_clock::from_time_t(1795721845) +
                       std::chrono::microseconds(123456);
  EXPECT_EQ(formatRfc3339(t), "2026-11-26T19:37:25Z");
  EXPECT_EQ(formatRfc3339Micro(t), "2026-11-26T19:37:25.123456Z");
}

TEST(TimeFormat, ParsesWhatItFormatsAndOffsets) {
  auto a = parseRfc3339("2026-11-26T19:37:25Z");
  ASSERT_TRUE(a.isOk());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*a), 1795721845);
  auto b = parseRfc3339("2026-11-26T20:37:25.5+01:00");
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(*b - *a).count(), 500);
  auto c = parseRfc3339(formatRfc3339Micro(*b));
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(*c, *b);
}

TEST(TimeFormat, RejectsGarbage) {
  for (const char* bad : {"", "2026-11-26", "2026-11-26T19:37:25", "yesterday",
                          "2026-11-26T19:37:25Zjunk"}) {
    EXPECT_FALSE(parseRfc3339(bad).isOk()) << bad;
  }
}

}  // namespace
}  // namespace mr
