// A latency histogram with logarithmic buckets, in the spirit of LevelDB's
// util/histogram: constant memory, a cheap add, an exact merge. Values are
// integers (the bench records microseconds); 0..15 have a bucket each, above
// that every power of two is split in 16 buckets (at most ~6% wide).
// Not thread-safe: keep one per thread and merge them at the end.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstdint>
#include <limits>

namespace chorus::bench {

class histogram {
 public:
  static constexpr int sub_bits = 4;
  static constexpr int sub_count = 1 << sub_bits;
  static constexpr int bucket_count = sub_count + (64 - sub_bits) * sub_count;

  void add(std::uint64_t v);
  void merge(const histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  // p in [0, 100]; interpolated inside the bucket, clamped to [min, max].
  double percentile(double p) const;

  // {"count","mean","p50","p90","p99","p999","max"}
  boost::json::object summary() const;
  // The summary plus "buckets": [[index, count], ...] (non-empty ones only).
  boost::json::object to_json() const;
  static histogram from_json(const boost::json::object& o);

  static int bucket_of(std::uint64_t v);
  static std::uint64_t bucket_low(int b);
  static std::uint64_t bucket_high(int b);  // inclusive

 private:
  std::array<std::uint64_t, bucket_count> buckets_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

}  // namespace chorus::bench
