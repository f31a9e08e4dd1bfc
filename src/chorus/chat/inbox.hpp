// One session's delivery positions: for each conversation, the last convSeq
// this session has been handed. It decides whether a live message is the next
// one (deliver), old (drop: a duplicate) or ahead of a gap (resync: fetch what
// is missing from the store). While a sync is running, live messages are
// dropped and the sync goes one more round, so nothing is lost between the
// store's snapshot and the live stream ("sync until quiet"). Pure state; owned
// by the session's shard thread.
#pragma once

#include "chorus/store/store.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace chorus::chat {

class inbox {
 public:
  enum class verdict { deliver, drop, resync };

  // A live message for `conv` with `seq`.
  verdict offer(const std::string& conv, std::uint64_t seq);
  // A message read by a sync round: deliver unless already handed over.
  bool accept_synced(const std::string& conv, std::uint64_t seq);
  // The session's own message (the sender gets the response, not a push).
  void note_own(const std::string& conv, std::uint64_t seq);
  // Membership: a joined room starts after `seq`; a left one is forgotten.
  void joined(const std::string& conv, std::uint64_t seq);
  void left(const std::string& conv);

  void begin_sync() noexcept { syncing_ = true; dirty_ = false; }
  // Records where each conversation starts; returns the rooms not seen before.
  std::vector<std::string> start_points(const std::vector<store::position>& convs);
  // After a round: whether another is needed (more data, or live traffic
  // dropped meanwhile). If not, the sync is over.
  bool end_round(bool more, bool new_rooms) noexcept;
  bool syncing() const noexcept { return syncing_; }
  void request_resync() noexcept { dirty_ = true; }

  std::vector<store::position> known() const;
  std::uint64_t position(const std::string& conv) const;
  bool knows(const std::string& conv) const { return pos_ && pos_->contains(conv); }

 private:
  using positions = std::unordered_map<std::string, std::uint64_t>;
  // Allocated with the first conversation: an idle session with none pays
  // 8 bytes, not a map's 56.
  positions& pos();
  std::unique_ptr<positions> pos_;
  bool syncing_ = false;
  bool dirty_ = false;
};

}  // namespace chorus::chat
