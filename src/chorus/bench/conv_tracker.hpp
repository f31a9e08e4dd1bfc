// The order check a receiver runs on one conversation: which convSeqs it has
// seen, how many arrived twice or after a later one. Loss is judged at the
// end against the convSeqs the senders were told were stored.
// Not thread-safe: owned by the receiving connection's thread.
#pragma once

#include <cstdint>
#include <vector>

namespace chorus::bench {

class conv_tracker {
 public:
  enum class verdict { in_order, gap, duplicate, out_of_order, bogus };

  // Sequences above this are refused as bogus instead of growing the bitmap.
  static constexpr std::uint64_t max_seq = 100'000'000;

  verdict on_receive(std::uint64_t seq);

  bool has(std::uint64_t seq) const { return seq < seen_.size() && seen_[seq]; }
  std::uint64_t unique() const { return unique_; }
  std::uint64_t duplicated() const { return duplicated_; }
  std::uint64_t out_of_order() const { return out_of_order_; }
  std::uint64_t bogus() const { return bogus_; }
  std::uint64_t max_seen() const { return max_seen_; }

  // How many of `expected` (convSeqs acknowledged to senders) never arrived.
  std::uint64_t missing(const std::vector<std::uint64_t>& expected) const;

 private:
  std::vector<bool> seen_;
  std::uint64_t max_seen_ = 0;
  std::uint64_t unique_ = 0;
  std::uint64_t duplicated_ = 0;
  std::uint64_t out_of_order_ = 0;
  std::uint64_t bogus_ = 0;
};

}  // namespace chorus::bench
