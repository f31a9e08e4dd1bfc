// The chat rules, free of sockets: who may send where, how a message becomes
// durable and then reaches its recipients (commit, then acknowledge, then fan
// out), room membership and ephemeral events. Called from shard threads;
// completion callbacks run on the store's thread after the fan-out has been
// handed over, so a caller that posts its reply to its shard sees its reply
// queued behind the pushes of the same and earlier messages.
#pragma once

#include "chorus/chat/delivery.hpp"
#include "chorus/chat/metrics.hpp"
#include "chorus/chat/presence.hpp"
#include "chorus/store/store.hpp"

#include <boost/json/object.hpp>

#include <functional>

namespace chorus::chat {

class service {
 public:
  service(store::store& st, fanout& out, presence& p, metrics& m) noexcept
      : store_(st), out_(out), presence_(p), metrics_(m) {}

  // `m` has app, from, to or room, type, content and client_msg_id set; the
  // service derives the conversation. The sender of a room message must be a
  // member. `origin_session` is skipped for one-to-one pushes (it gets the
  // response instead); a room's sender gets its own push.
  void send(core::message m, std::uint64_t origin_session, std::function<void(store::append_result)> done);

  void join(std::string app, std::string room, std::string user, std::function<void(store::join_result)> done);
  void leave(std::string app, std::string room, std::string user, std::function<void(store::leave_result)> done);

  // Who gets an event in a one-to-one conversation: both users' devices
  // (typing, read: the user's other devices show them too), or only the
  // other user's (delivered, presence: news to the other user alone, and
  // routing them to the user's own nodes would cost a presence look-up per
  // event in a cluster). A room's members get it either way.
  enum class audience { both_users, other_user };
  // An ephemeral event (enter, exit, typing, read, ...) to the online devices
  // of a conversation: a room's members, or the users of a one-to-one one
  // that `who` names, except the session `skip`. Not stored: an offline
  // device never gets it.
  void conv_event(const std::string& app, const std::string& conv, const std::string& from,
                  std::uint64_t skip, std::string_view action, boost::json::object fields,
                  audience who = audience::both_users);
  // The same with the event's frame already encoded.
  void conv_event_frame(const std::string& app, const std::string& conv, const std::string& from,
                        std::uint64_t skip, std::string frame, audience who = audience::both_users);

  store::store& storage() noexcept { return store_; }
  chat::presence& presence() noexcept { return presence_; }
  fanout& out() noexcept { return out_; }
  chat::metrics& metrics() noexcept { return metrics_; }

 private:
  store::store& store_;
  fanout& out_;
  chat::presence& presence_;
  chat::metrics& metrics_;
};

}  // namespace chorus::chat
