// Server message ids: 64-bit, time-ordered, unique per node (42 bits of
// milliseconds, 10 bits of node id, 12 bits of sequence), written as 16 hex
// digits. One generator per writer thread; not thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace chorus::core {

class snowflake {
 public:
  explicit snowflake(unsigned node_id) noexcept : node_(node_id & 0x3ff) {}
  std::uint64_t next() noexcept;
  static std::string to_string(std::uint64_t id);

 private:
  unsigned node_;
  std::int64_t last_ms_ = 0;
  unsigned seq_ = 0;
};

}  // namespace chorus::core
