#include "chorus/core/snowflake.hpp"

#include <gtest/gtest.h>

#include <set>

using chorus::core::snowflake;

TEST(Snowflake, IdsAreUniqueAndIncreasing) {
  snowflake gen(3);
  std::uint64_t last = 0;
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 20000; ++i) {
    auto id = gen.next();
    EXPECT_GT(id, last);
    last = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 20000u);
}

TEST(Snowflake, NodesNeverCollide) {
  snowflake a(1), b(2);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 5000; ++i) {
    seen.insert(a.next());
    seen.insert(b.next());
  }
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(Snowflake, TextIsSixteenHexDigits) {
  EXPECT_EQ(snowflake::to_string(0x1234abcdULL), "000000001234abcd");
}
