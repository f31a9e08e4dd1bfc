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
  // If it is not the next (a sync round is reading what comes before it),
  // it is remembered, so that neither the sync nor a later push hands it
  // back to the session that sent it.
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

  // Whether a sync round has placed every conversation of the user (start
  // points recorded once): from then on one not known is newer than that.
  bool placed() const noexcept { return placed_; }
  std::vector<store::position> known() const;
  std::uint64_t position(const std::string& conv) const;
  bool knows(const std::string& conv) const { return st_ && st_->pos.contains(conv); }

 private:
  using positions = std::unordered_map<std::string, std::uint64_t>;
  // Allocated with the first conversation: an idle session with none pays
  // 8 bytes, not two maps' 112.
  positions& pos();
  // Moves `conv`'s position over the own messages that now come next, and
  // forgets those it passed.
  void absorb_own(const std::string& conv, std::uint64_t& p);
  struct state {
    positions pos;
    // Own messages past a conversation's position, by conversation; only
    // while a gap lies before them (usually empty).
    std::unordered_map<std::string, std::vector<std::uint64_t>> own_ahead;
  };
  std::unique_ptr<state> st_;
  bool syncing_ = false;
  bool dirty_ = false;
  bool placed_ = false;
};

}  // namespace chorus::chat
