// A token bucket: `rate` frames per second with bursts up to `burst`. One per
// session, on its shard thread.
#pragma once

#include <cstdint>

namespace chorus::gateway {

class rate_limiter {
 public:
  rate_limiter(double rate, double burst) noexcept
      : rate_(static_cast<float>(rate)), burst_(static_cast<float>(burst)), tokens_(burst) {}
  // Takes a token at time `now_ms`; false if none is left.
  bool allow(std::int64_t now_ms) noexcept;

 private:
  float rate_, burst_;  // 24 bytes in all: one per session
  double tokens_;
  std::int64_t last_ms_ = 0;
};

}  // namespace chorus::gateway
