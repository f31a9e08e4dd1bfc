// The receiver's order check: duplicates, late arrivals, loss.
#include "chorus/bench/conv_tracker.hpp"

#include <gtest/gtest.h>

namespace chorus::bench {
namespace {

using verdict = conv_tracker::verdict;

TEST(ConvTracker, InOrderStreamIsClean) {
  conv_tracker t;
  for (std::uint64_t s = 1; s <= 100; ++s) EXPECT_EQ(t.on_receive(s), verdict::in_order);
  EXPECT_EQ(t.unique(), 100u);
  EXPECT_EQ(t.duplicated(), 0u);
  EXPECT_EQ(t.out_of_order(), 0u);
}

TEST(ConvTracker, CountsDuplicatesAndLateArrivals) {
  conv_tracker t;
  EXPECT_EQ(t.on_receive(1), verdict::in_order);
  EXPECT_EQ(t.on_receive(3), verdict::gap);
  EXPECT_EQ(t.on_receive(2), verdict::out_of_order);
  EXPECT_EQ(t.on_receive(3), verdict::duplicate);
  EXPECT_EQ(t.on_receive(0), verdict::bogus);
  EXPECT_EQ(t.unique(), 3u);
  EXPECT_EQ(t.duplicated(), 1u);
  EXPECT_EQ(t.out_of_order(), 1u);
  EXPECT_EQ(t.bogus(), 1u);
}

TEST(ConvTracker, MissingCountsAckedSeqsNeverReceived) {
  conv_tracker t;
  t.on_receive(1);
  t.on_receive(2);
  t.on_receive(4);
  EXPECT_EQ(t.missing({1, 2, 3, 4, 5}), 2u);
  EXPECT_EQ(t.missing({}), 0u);
}

}  // namespace
}  // namespace chorus::bench
