#include "common/backoff.h"

#include <gtest/gtest.h>

namespace mr {
namespace {

TEST(Backoff, DoublesUpToCapWithoutJitter) {
  Backoff b({std::chrono::milliseconds(800), std::chrono::milliseconds(30000), 2.0, 0.0},
            [] { return 0.5; });
  const long long expected[] = {800, 1600, 3200, 6400, 12800, 25600, 30000, 30000};
  for (long long e : expected) EXPECT_EQ(b.next().count(), e);
  b.reset();
  EXPECT_EQ(b.next().count(), 800);
}

TEST(Backoff, JitterComesFromTheInjectedSource) {
  double r = 0.0;
  Backoff b({std::chrono::milliseconds(1000), std::chrono::milliseconds(30000), 2.0, 0.5},
            [&] { return r; });
  EXPECT_EQ(b.next().count(), 1000);
  r = 0.999;
  EXPECT_EQ(b.next().count(), 2999);
}

}  // namespace
}  // namespace mr
