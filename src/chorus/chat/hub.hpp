// One shard's index of its logged-in sessions: by user and by room. A shard's
// hub is touched only by that shard's thread, so it needs no lock; other
// threads reach it by posting to the shard (muduo's per-loop sets, Seastar's
// owner shard).
#pragma once

#include "chorus/chat/endpoint.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include <string>
#include <vector>

namespace chorus::chat {

class hub {
 public:
  void add(endpoint* e);
  void remove(endpoint* e);  // and from every room
  void add_room(endpoint* e, const std::string& room);
  void remove_room(endpoint* e, const std::string& room);
  bool in_room(const endpoint* e, const std::string& room) const;

  // Hands `d` to every endpoint that should receive it.
  void deliver(const std::shared_ptr<const delivery>& d);
  // Updates the room index for every session of the user and tells them.
  void apply(const membership_change& c);

  std::vector<endpoint*> sessions_of(const std::string& app, const std::string& user) const;
  std::size_t size() const noexcept { return size_; }

 private:
  // app\nid in a buffer reused for every lookup: a delivery looks up two
  // users on every shard, and a fresh key was an allocation each (ids
  // longer than the short-string buffer). Valid until the next call.
  const std::string& key(const std::string& app, const std::string& id) const {
    key_.assign(app).append(1, '\n').append(id);
    return key_;
  }

  mutable std::string key_;

  // Open addressing, the key and (for most users, one) session in the slot:
  // at 10,000 clients a delivery's lookups (two users on every shard, most
  // of them misses) were 4% of the server's time in a node-based map, a
  // cache miss per bucket, node and session vector; and the slot is smaller
  // than the node, its bucket and the vector's buffer were.
  using endpoints = boost::container::small_vector<endpoint*, 1>;
  using index = boost::unordered_flat_map<std::string, endpoints>;
  static void erase_from(index& idx, const std::string& k, const endpoint* e);

  index users_;  // app\nuser -> sessions
  index rooms_;  // app\nroom -> sessions
  std::size_t size_ = 0;  // endpoints indexed (each one's rooms live in the endpoint)
};

}  // namespace chorus::chat
