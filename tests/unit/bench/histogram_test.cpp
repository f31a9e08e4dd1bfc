// The bench's latency histogram: bucket bounds, percentiles, merge, JSON.
#include "chorus/bench/histogram.hpp"

#include <gtest/gtest.h>

namespace chorus::bench {
namespace {

TEST(Histogram, EveryValueFallsInsideItsBucket) {
  for (std::uint64_t v : {0ull, 1ull, 15ull, 16ull, 17ull, 31ull, 32ull, 33ull, 1000ull, 123456789ull,
                          ~0ull}) {
    int b = histogram::bucket_of(v);
    EXPECT_LE(histogram::bucket_low(b), v) << v;
    EXPECT_GE(histogram::bucket_high(b), v) << v;
  }
}

TEST(Histogram, BucketsAreContiguousAndNarrow) {
  for (int b = 1; b < histogram::bucket_count; ++b) {
    EXPECT_EQ(histogram::bucket_low(b), histogram::bucket_high(b - 1) + 1) << b;
    double low = static_cast<double>(histogram::bucket_low(b));
    double width = static_cast<double>(histogram::bucket_high(b) - histogram::bucket_low(b) + 1);
    if (b < histogram::sub_count)
      EXPECT_EQ(width, 1.0) << b;  // small values are exact
    else
      EXPECT_LE(width / low, 1.0 / 16 + 1e-9) << b;
  }
}

TEST(Histogram, EmptyReportsZero) {
  histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(99), 0.0);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(Histogram, PercentilesOfAUniformRunAreWithinABucket) {
  histogram h;
  for (std::uint64_t v = 1; v <= 10000; ++v) h.add(v);
  EXPECT_EQ(h.count(), 10000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 10000u);
  EXPECT_NEAR(h.mean(), 5000.5, 1e-6);
  EXPECT_NEAR(h.percentile(50), 5000, 5000 * 0.07);
  EXPECT_NEAR(h.percentile(99), 9900, 9900 * 0.07);
  EXPECT_NEAR(h.percentile(99.9), 9990, 9990 * 0.07);
  EXPECT_LE(h.percentile(100), 10000);
}

TEST(Histogram, PercentilesAreClampedToTheSeenRange) {
  histogram h;
  h.add(1000);
  EXPECT_EQ(h.percentile(0), 1000);
  EXPECT_EQ(h.percentile(50), 1000);
  EXPECT_EQ(h.percentile(100), 1000);
}

TEST(Histogram, MergeEqualsAddingEverythingToOne) {
  histogram a, b, all;
  for (std::uint64_t v = 0; v < 500; ++v) {
    a.add(v * 3);
    all.add(v * 3);
  }
  for (std::uint64_t v = 0; v < 300; ++v) {
    b.add(v * 1000 + 7);
    all.add(v * 1000 + 7);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.percentile(p), all.percentile(p)) << p;
}

TEST(Histogram, MergingAnEmptyOneChangesNothing) {
  histogram a, empty;
  a.add(42);
  a.merge(empty);
  EXPECT_EQ(a.count(), 1u);
  EXPECT_EQ(a.min(), 42u);
}

TEST(Histogram, JsonRoundTripKeepsEverything) {
  histogram h;
  for (std::uint64_t v = 5; v < 100000; v += 37) h.add(v);
  histogram back = histogram::from_json(h.to_json());
  EXPECT_EQ(back.count(), h.count());
  EXPECT_EQ(back.min(), h.min());
  EXPECT_EQ(back.max(), h.max());
  EXPECT_DOUBLE_EQ(back.mean(), h.mean());
  EXPECT_EQ(back.percentile(99), h.percentile(99));
}

}  // namespace
}  // namespace chorus::bench
