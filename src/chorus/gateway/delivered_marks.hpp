// Delivered marks waiting to be announced, one per (session, conversation),
// each the highest convSeq handed over since the last announcement. A
// shard keeps one and announces what it holds a moment after the first
// mark arrives (session::announce_delivered): under a steady conversation
// the sender gets one `delivered` event per moment instead of one per
// message, each a frame to encode, route and write. Pure; shard thread only.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chorus::gateway {

class delivered_marks {
 public:
  struct mark {
    std::string app, user, conv;  // user: the recipient whose device got them
    std::uint64_t session = 0;    // that device's connection (the event skips it)
    std::uint64_t seq = 0;
    std::uint32_t next = 0;       // (the previous mark of the same hash, plus one)
  };
  using hash_fn = std::uint64_t (*)(std::uint64_t session, std::string_view conv);
  static std::uint64_t default_hash(std::uint64_t session, std::string_view conv);

  // `hash` is for tests (one that collides exercises the chains).
  explicit delivered_marks(hash_fn hash = default_hash) : hash_(hash) {}

  // Records a mark; true if none was waiting (the caller schedules take()).
  bool add(std::string_view app, std::string_view user, std::string_view conv, std::uint64_t session,
           std::uint64_t seq);
  // What is waiting, in the order first recorded; empties the set. Valid
  // until the next take(); marks added meanwhile wait for that one.
  const std::vector<mark>& take();
  bool empty() const noexcept { return marks_.empty(); }

 private:
  // Kept, not freed, from one announcement to the next: at 10,000 clients a
  // mark per message, and a key string, a node and a grown vector each were
  // the shards' largest allocator callers.
  hash_fn hash_;
  std::vector<mark> marks_, taken_;
  boost::unordered_flat_map<std::uint64_t, std::uint32_t> index_;  // hash -> newest mark of it, plus one
};

}  // namespace chorus::gateway
