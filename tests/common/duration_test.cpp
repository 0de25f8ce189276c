#include "common/duration.h"

#include <gtest/gtest.h>

namespace mr {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsGoForms) {
  struct Case {
    const char* text;
    long long ms;
  } cases[] = {{"0", 0},       {"0s", 0},          {"500ms", 500},      {"90s", 90000},
               {"1m30s", 90000}, {"24h", 86400000}, {"1.5h", 5400000},   {"2h45m", 9900000},
               {"1500us", 2},  {"1000000ns", 1},   {"72h", 259200000}};
  for (const auto& c : cases) {
    auto r = parseDuration(c.text);
    ASSERT_TRUE(r.isOk()) << c.text << ": " << r.status().toString();
    EXPECT_EQ(r->count(), c.ms) << c.text;
  }
}

TEST(ParseDuration, RejectsMalformed) {
  for (const char* bad : {"", "10", "h", "-5s", "5d", "1..5s", "5s3", "abc", "1h 30m"}) {
    auto r = parseDuration(bad);
    EXPECT_FALSE(r.isOk()) << bad;
    if (!r.isOk()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(FormatDuration, ShortestForm) {
  EXPECT_EQ(formatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(formatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(formatDuration(milliseconds(90000)), "1m30s");
  EXPECT_EQ(formatDuration(milliseconds(86400000)), "24h");
  EXPECT_EQ(formatDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(formatDuration(milliseconds(3600000 + 1)), "1h0.001s");
}

TEST(FormatDuration, RoundTrips) {
  for (long long ms : {1LL, 999LL, 1000LL, 61000LL, 3600000LL, 93784005LL}) {
    auto r = parseDuration(formatDuration(milliseconds(ms)));
    ASSERT_TRUE(r.isOk());
    EXPECT_EQ(r->count(), ms);
  }
}

}  // namespace
}  // namespace mr
