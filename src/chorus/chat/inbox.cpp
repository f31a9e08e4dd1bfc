#include "chorus/chat/inbox.hpp"

#include "chorus/core/ids.hpp"

namespace chorus::chat {

inbox::positions& inbox::pos() {
  if (!pos_) pos_ = std::make_unique<positions>();
  return *pos_;
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
  return verdict::deliver;
}

bool inbox::accept_synced(const std::string& conv, std::uint64_t seq) {
  auto& p = pos()[conv];
  if (seq <= p) return false;
  p = seq;
  return true;
}

void inbox::note_own(const std::string& conv, std::uint64_t seq) {
  auto& p = pos()[conv];
  if (seq == p + 1) p = seq;
}

void inbox::joined(const std::string& conv, std::uint64_t seq) {
  auto [it, fresh] = pos().try_emplace(conv, seq);
  if (!fresh && it->second < seq) it->second = seq;
}

void inbox::left(const std::string& conv) {
  if (pos_) pos_->erase(conv);
}

std::vector<std::string> inbox::start_points(const std::vector<store::position>& convs) {
  std::vector<std::string> rooms;
  for (auto& c : convs) {
    auto [it, fresh] = pos().try_emplace(c.conv, c.seq);
    if (!fresh && it->second < c.seq) it->second = c.seq;
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
  if (!pos_) return out;
  out.reserve(pos_->size());
  for (auto& [conv, seq] : *pos_) out.push_back({conv, seq});
  return out;
}

std::uint64_t inbox::position(const std::string& conv) const {
  if (!pos_) return 0;
  auto it = pos_->find(conv);
  return it == pos_->end() ? 0 : it->second;
}

}  // namespace chorus::chat
