// A token bucket: `rate` frames per second with bursts up to `burst`. One per
// session, on its shard thread.
#pragma once

#include <cstdint>

namespace chorus::gateway {

class rate_limiter {
 public:
  rate_limiter(double rate, double burst) noexcept : rate_(rate), burst_(burst), tokens_(burst) {}
  // Takes a token at time `now_ms`; false if none is left.
  bool allow(std::int64_t now_ms) noexcept;

 private:
  double rate_, burst_, tokens_;
  std::int64_t last_ms_ = 0;
};

}  // namespace chorus::gateway
