#include "common/status.h"

#include <gtest/gtest.h>

namespace mr {
namespace {

Result<int> half(int x) {
  if (x % 2) return invalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

TEST(Status, OkAndErrorValues) {
  EXPECT_TRUE(Status::ok().isOk());
  Status s = notFound("thing").withContext("loading");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.toString(), "NotFound: loading: thing");
}

TEST(Result, HoldsValueOrStatus) {
  auto a = half(4);
  ASSERT_TRUE(a.isOk());
  EXPECT_EQ(*a, 2);
  auto b = half(3);
  ASSERT_FALSE(b.isOk());
  EXPECT_EQ(b.status().message(), "odd: 3");
}

}  // namespace
}  // namespace mr
