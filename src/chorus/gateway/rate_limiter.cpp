#include "chorus/gateway/rate_limiter.hpp"

#include <algorithm>

namespace chorus::gateway {

bool rate_limiter::allow(std::int64_t now_ms) noexcept {
  if (last_ms_ != 0 && now_ms > last_ms_)
    tokens_ = std::min(static_cast<double>(burst_), tokens_ + rate_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
  last_ms_ = now_ms;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

}  // namespace chorus::gateway
