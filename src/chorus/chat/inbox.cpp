#include "chorus/chat/inbox.hpp"

#include "chorus/core/ids.hpp"

#include <algorithm>
#include <vector>

namespace chorus::chat {

inbox::positions& inbox::pos() {
  if (!st_) st_ = std::make_unique<state>();
  return st_->pos;
}

inbox::verdict inbox::offer(const std::string& conv, std::uint64_t seq) {
  if (syncing_) {
    dirty_ = true;
    return verdict::drop;
  }
  auto& p = pos()[conv];  // unknown: a conversation born after the last sync, from 0
  if (seq <= p) return verdict::drop;
  if (seq != p + 1) {
    dirty_ = true;
    return verdict::resync;
  }
  p = seq;
  absorb_own(conv, p);
  return verdict::deliver;
}

bool inbox::accept_synced(const std::string& conv, std::uint64_t seq) {
  auto& p = pos()[conv];
  if (seq <= p) return false;
  bool own = false;  // this session sent it: it had the response, not a push
  if (st_)
    if (auto it = st_->own_ahead.find(conv); it != st_->own_ahead.end())
      own = std::find(it->second.begin(), it->second.end(), seq) != it->second.end();
  p = seq;
  absorb_own(conv, p);
  return !own;
}

void inbox::note_own(const std::string& conv, std::uint64_t seq) {
  auto& p = pos()[conv];
  if (seq <= p) return;
  if (seq == p + 1) {
    p = seq;
    absorb_own(conv, p);
    return;
  }
  // Bounded: a gap is always followed by a sync round, which passes these;
  // were it not, an own message forgotten would at worst come back once.
  constexpr std::size_t most = 1024;
  auto& ahead = st_->own_ahead[conv];  // st_ exists: pos() made it
  if (ahead.size() >= most) ahead.erase(ahead.begin());
  ahead.push_back(seq);
}

void inbox::absorb_own(const std::string& conv, std::uint64_t& p) {
  if (!st_) return;
  auto it = st_->own_ahead.find(conv);
  if (it == st_->own_ahead.end()) return;
  auto& ahead = it->second;
  while (std::find(ahead.begin(), ahead.end(), p + 1) != ahead.end()) ++p;
  std::erase_if(ahead, [p](std::uint64_t s) { return s <= p; });
  if (ahead.empty()) st_->own_ahead.erase(it);
}

void inbox::joined(const std::string& conv, std::uint64_t seq) {
  auto [it, fresh] = pos().try_emplace(conv, seq);
  if (!fresh && it->second < seq) it->second = seq;
}

void inbox::left(const std::string& conv) {
  if (!st_) return;
  st_->pos.erase(conv);
  st_->own_ahead.erase(conv);
}

std::vector<std::string> inbox::start_points(const std::vector<store::position>& convs) {
  placed_ = true;
  std::vector<std::string> rooms;
  for (auto& c : convs) {
    auto [it, fresh] = pos().try_emplace(c.conv, c.seq);
    if (!fresh && it->second < c.seq) it->second = c.seq;
    absorb_own(c.conv, it->second);
    if (fresh && core::is_room_conv(c.conv)) rooms.emplace_back(core::conv_room(c.conv));
  }
  return rooms;
}

bool inbox::end_round(bool more, bool new_rooms) noexcept {
  if (more || new_rooms || dirty_) {
    dirty_ = false;
    return true;
  }
  syncing_ = false;
  return false;
}

std::vector<store::position> inbox::known() const {
  std::vector<store::position> out;
  if (!st_) return out;
  out.reserve(st_->pos.size());
  for (auto& [conv, seq] : st_->pos) out.push_back({conv, seq});
  return out;
}

std::uint64_t inbox::position(const std::string& conv) const {
  if (!st_) return 0;
  auto it = st_->pos.find(conv);
  return it == st_->pos.end() ? 0 : it->second;
}

}  // namespace chorus::chat
