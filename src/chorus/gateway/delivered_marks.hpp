// Delivered marks waiting to be announced, one per (session, conversation),
// each the highest convSeq handed over since the last announcement. A
// shard keeps one and announces what it holds a moment after the first
// mark arrives (session::announce_delivered): under a steady conversation
// the sender gets one `delivered` event per moment instead of one per
// message, each a frame to encode, route and write. Pure; shard thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace chorus::gateway {

class delivered_marks {
 public:
  struct mark {
    std::string app, user, conv;  // user: the recipient whose device got them
    std::uint64_t session = 0;    // that device's connection (the event skips it)
    std::uint64_t seq = 0;
  };

  // Records a mark; true if none was waiting (the caller schedules take()).
  bool add(std::string_view app, std::string_view user, std::string_view conv, std::uint64_t session,
           std::uint64_t seq);
  // What is waiting, in the order first recorded; empties the set.
  std::vector<mark> take();
  bool empty() const noexcept { return marks_.empty(); }

 private:
  std::vector<mark> marks_;
  std::unordered_map<std::string, std::size_t> index_;  // session and conversation -> in marks_
};

}  // namespace chorus::gateway
