#include "chorus/chat/hub.hpp"

#include <algorithm>

namespace chorus::chat {

void hub::erase_from(index& idx, const std::string& k, const endpoint* e) {
  auto it = idx.find(k);
  if (it == idx.end()) return;
  auto& v = it->second;
  v.erase(std::remove(v.begin(), v.end(), e), v.end());
  if (v.empty()) idx.erase(it);
}

void hub::add(endpoint* e) {
  if (e->in_hub_) return;
  users_[key(e->app(), e->user())].push_back(e);
  e->in_hub_ = true;
  ++size_;
}

void hub::remove(endpoint* e) {
  if (!e->in_hub_) return;
  for (auto& room : e->hub_rooms_) erase_from(rooms_, key(e->app(), room), e);
  std::vector<std::string>().swap(e->hub_rooms_);
  erase_from(users_, key(e->app(), e->user()), e);
  e->in_hub_ = false;
  --size_;
}

void hub::add_room(endpoint* e, const std::string& room) {
  if (!e->in_hub_ || std::ranges::find(e->hub_rooms_, room) != e->hub_rooms_.end()) return;
  e->hub_rooms_.push_back(room);
  rooms_[key(e->app(), room)].push_back(e);
}

void hub::remove_room(endpoint* e, const std::string& room) {
  if (!e->in_hub_ || std::erase(e->hub_rooms_, room) == 0) return;
  erase_from(rooms_, key(e->app(), room), e);
}

bool hub::in_room(const endpoint* e, const std::string& room) const {
  return e->in_hub_ && std::ranges::find(e->hub_rooms_, room) != e->hub_rooms_.end();
}

void hub::deliver(const std::shared_ptr<const delivery>& d) {
  // offer() never touches the hub (a close it starts leaves the hub later),
  // so `to` stays valid while it runs.
  auto send = [&](const endpoints& to) {
    for (auto* e : to)
      if (e->session_id() != d->skip_session) e->offer(d);
      else if (d->what == delivery::kind::message) e->offer_own(*d);
  };
  if (!d->room.empty()) {
    if (auto it = rooms_.find(key(d->app, d->room)); it != rooms_.end()) send(it->second);
    return;
  }
  if (auto it = users_.find(key(d->app, d->to)); it != users_.end()) send(it->second);
  if (d->from != d->to)
    if (auto it = users_.find(key(d->app, d->from)); it != users_.end()) send(it->second);
}

void hub::apply(const membership_change& c) {
  auto it = users_.find(key(c.app, c.user));
  if (it == users_.end()) return;
  for (auto* e : it->second) {
    if (c.joined) add_room(e, c.room);
    else remove_room(e, c.room);
    e->on_membership(c);
  }
}

std::vector<endpoint*> hub::sessions_of(const std::string& app, const std::string& user) const {
  auto it = users_.find(key(app, user));
  return it == users_.end() ? std::vector<endpoint*>{} : std::vector<endpoint*>(it->second.begin(), it->second.end());
}

}  // namespace chorus::chat
