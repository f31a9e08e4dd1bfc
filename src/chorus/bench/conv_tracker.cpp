// Per-conversation convSeq bookkeeping of one receiver (see conv_tracker.hpp).
#include "chorus/bench/conv_tracker.hpp"

namespace chorus::bench {

conv_tracker::verdict conv_tracker::on_receive(std::uint64_t seq) {
  if (seq == 0 || seq > max_seq) {
    ++bogus_;
    return verdict::bogus;
  }
  if (seq >= seen_.size()) seen_.resize(std::max<std::size_t>(seq + 1, seen_.size() * 2));
  if (seen_[seq]) {
    ++duplicated_;
    return verdict::duplicate;
  }
  seen_[seq] = true;
  ++unique_;
  if (seq < max_seen_) {
    ++out_of_order_;
    return verdict::out_of_order;
  }
  bool gap = seq != max_seen_ + 1;
  max_seen_ = seq;
  return gap ? verdict::gap : verdict::in_order;
}

std::uint64_t conv_tracker::missing(const std::vector<std::uint64_t>& expected) const {
  std::uint64_t n = 0;
  for (auto s : expected)
    if (!has(s)) ++n;
  return n;
}

}  // namespace chorus::bench
