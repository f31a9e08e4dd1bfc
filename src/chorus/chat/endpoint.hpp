// What the hub knows of a session: who it is and how to hand it a delivery.
// Implemented by gateway::ws_session (and by fakes in tests). Called only on
// the shard thread that owns the session.
#pragma once

#include "chorus/chat/delivery.hpp"

#include <string>
#include <vector>

namespace chorus::chat {

class endpoint {
 public:
  virtual const std::string& app() const noexcept = 0;
  virtual const std::string& user() const noexcept = 0;
  virtual std::uint64_t session_id() const noexcept = 0;
  // None of these three may change the hub synchronously: no endpoint or
  // room added or removed (the hub is iterating one of its tables, whose
  // entries move when another is added or removed); a session that must
  // close defers it by posting.
  virtual void offer(const std::shared_ptr<const delivery>& d) = 0;
  // The delivery of a message this very session sent (d.skip_session): not
  // pushed to it, but it marks the session's position in the conversation,
  // in the order the hub sees deliveries (its response may come later).
  virtual void offer_own(const delivery& d) { (void)d; }
  // The user joined or left a room (on any device); the hub has already
  // updated its room index for this endpoint.
  virtual void on_membership(const membership_change& c) = 0;

 protected:
  virtual ~endpoint() = default;  // virtual: the hub, a friend, could reach it

 private:
  friend class hub;
  // The hub's bookkeeping for this endpoint, kept here so that indexing a
  // session allocates nothing beyond its entry under its user: whether it is
  // indexed, and the rooms it is indexed under.
  bool in_hub_ = false;
  std::vector<std::string> hub_rooms_;
};

}  // namespace chorus::chat
