#include "chorus/core/snowflake.hpp"

#include "chorus/core/clock.hpp"

namespace chorus::core {

namespace {
constexpr std::int64_t epoch_ms = 1735689600000;  // 2025-01-01T00:00:00Z
}

std::uint64_t snowflake::next() noexcept {
  auto ms = unix_ms() - epoch_ms;
  // A clock that steps back must not repeat ids: keep the last millisecond.
  if (ms < last_ms_) ms = last_ms_;
  if (ms == last_ms_) {
    if (++seq_ == 4096) {
      ++ms;  // borrow from the future; the clock catches up
      seq_ = 0;
    }
  } else {
    seq_ = 0;
  }
  last_ms_ = ms;
  return (static_cast<std::uint64_t>(ms) << 22) | (static_cast<std::uint64_t>(node_) << 12) | seq_;
}

std::string snowflake::to_string(std::uint64_t id) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, id >>= 4) s[static_cast<std::size_t>(i)] = hex[id & 0xf];
  return s;
}

}  // namespace chorus::core
