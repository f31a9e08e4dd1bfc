// Log-bucketed histogram: bucket arithmetic, percentiles, merge, JSON (see histogram.hpp).
#include "chorus/bench/histogram.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <bit>

namespace chorus::bench {

namespace json = boost::json;

int histogram::bucket_of(std::uint64_t v) {
  if (v < sub_count) return static_cast<int>(v);
  int e = 63 - std::countl_zero(v);  // >= sub_bits
  int sub = static_cast<int>((v >> (e - sub_bits)) & (sub_count - 1));
  return sub_count + (e - sub_bits) * sub_count + sub;
}

std::uint64_t histogram::bucket_low(int b) {
  if (b < sub_count) return static_cast<std::uint64_t>(b);
  int e = (b - sub_count) / sub_count + sub_bits;
  std::uint64_t sub = static_cast<std::uint64_t>((b - sub_count) % sub_count);
  return (sub_count + sub) << (e - sub_bits);
}

std::uint64_t histogram::bucket_high(int b) {
  if (b < sub_count) return static_cast<std::uint64_t>(b);
  int e = (b - sub_count) / sub_count + sub_bits;
  return bucket_low(b) + ((std::uint64_t{1} << (e - sub_bits)) - 1);
}

void histogram::add(std::uint64_t v) {
  ++buckets_[static_cast<std::size_t>(bucket_of(v))];
  ++count_;
  sum_ += static_cast<double>(v);
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void histogram::merge(const histogram& o) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

double histogram::percentile(double p) const {
  if (count_ == 0) return 0.0;
  double threshold = static_cast<double>(count_) * std::clamp(p, 0.0, 100.0) / 100.0;
  double cumulative = 0;
  for (int b = 0; b < bucket_count; ++b) {
    double n = static_cast<double>(buckets_[static_cast<std::size_t>(b)]);
    if (n == 0) continue;
    if (cumulative + n >= threshold) {
      // Assume the values spread evenly over the bucket's range.
      double low = static_cast<double>(bucket_low(b));
      double width = static_cast<double>(bucket_high(b) - bucket_low(b) + 1);
      double v = low + width * (threshold - cumulative) / n;
      return std::clamp(v, static_cast<double>(min()), static_cast<double>(max_));
    }
    cumulative += n;
  }
  return static_cast<double>(max_);
}

json::object histogram::summary() const {
  json::object o;
  o["count"] = count_;
  o["mean"] = mean();
  o["p50"] = percentile(50);
  o["p90"] = percentile(90);
  o["p99"] = percentile(99);
  o["p999"] = percentile(99.9);
  o["max"] = max_;
  return o;
}

json::object histogram::to_json() const {
  json::object o = summary();
  o["min"] = min();
  o["sum"] = sum_;
  json::array b;
  for (int i = 0; i < bucket_count; ++i)
    if (auto n = buckets_[static_cast<std::size_t>(i)]) b.push_back(json::array{i, n});
  o["buckets"] = std::move(b);
  return o;
}

histogram histogram::from_json(const json::object& o) {
  histogram h;
  if (auto* b = o.if_contains("buckets"); b && b->is_array()) {
    for (const auto& e : b->get_array()) {
      const auto& pair = e.as_array();
      auto i = pair.at(0).to_number<std::int64_t>();
      auto n = pair.at(1).to_number<std::uint64_t>();
      if (i < 0 || i >= bucket_count) continue;
      h.buckets_[static_cast<std::size_t>(i)] += n;
      h.count_ += n;
    }
  }
  if (h.count_) {
    h.min_ = o.at("min").to_number<std::uint64_t>();
    h.max_ = o.at("max").to_number<std::uint64_t>();
    h.sum_ = o.at("sum").to_number<double>();
  }
  return h;
}

}  // namespace chorus::bench
