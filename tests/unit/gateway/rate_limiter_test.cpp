#include "chorus/gateway/rate_limiter.hpp"

#include <gtest/gtest.h>

using chorus::gateway::rate_limiter;

TEST(RateLimiter, BurstThenRate) {
  rate_limiter r(10, 5);
  std::int64_t t = 1000;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(r.allow(t));
  EXPECT_FALSE(r.allow(t));
  EXPECT_TRUE(r.allow(t + 100));  // 10/s: one token per 100 ms
  EXPECT_FALSE(r.allow(t + 100));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(r.allow(t + 10000));  // refilled, capped at the burst
  EXPECT_FALSE(r.allow(t + 10000));
}
