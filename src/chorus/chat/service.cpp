#include "chorus/chat/service.hpp"

#include "chorus/core/ids.hpp"
#include "chorus/protocol/encode.hpp"

namespace chorus::chat {

void service::send(core::message m, std::uint64_t origin_session,
                   std::function<void(store::append_result)> done) {
  store::append_request req;
  bool room = m.room != "0" && !m.room.empty();
  if (room) {
    m.to = "0";
    m.conv = core::room_conv(m.room);
    req.require_member = true;
  } else {
    m.room = "0";
    m.conv = core::direct_conv(m.from, m.to);
  }
  req.msg = std::move(m);
  store_.append(std::move(req), [this, origin_session, room, done = std::move(done)](store::append_result r) {
    if (r.st == store::status::ok && !r.duplicate) {
      metrics_.messages_stored.Increment();
      auto d = std::make_shared<delivery>();
      d->what = delivery::kind::message;
      d->app = r.msg.app;
      d->conv = r.msg.conv;
      d->seq = r.msg.seq;
      if (room) d->room = r.msg.room;
      d->from = r.msg.from;
      d->to = r.msg.to;
      d->skip_session = room ? 0 : origin_session;
      d->frame = std::make_shared<const std::string>(protocol::message_push(r.msg));
      out_.publish(std::move(d));
    } else if (r.duplicate) {
      metrics_.messages_duplicate.Increment();
    }
    done(std::move(r));
  });
}

void service::join(std::string app, std::string room, std::string user,
                   std::function<void(store::join_result)> done) {
  store_.join(app, room, user, [this, app, room, user, done = std::move(done)](store::join_result r) {
    if (r.st == store::status::ok && r.joined)
      out_.membership(std::make_shared<membership_change>(membership_change{app, room, user, true, r.joined_seq}));
    done(r);
  });
}

void service::leave(std::string app, std::string room, std::string user,
                    std::function<void(store::leave_result)> done) {
  store_.leave(app, room, user, [this, app, room, user, done = std::move(done)](store::leave_result r) {
    if (r.st == store::status::ok && r.left)
      out_.membership(std::make_shared<membership_change>(membership_change{app, room, user, false, 0}));
    done(r);
  });
}

void service::conv_event(const std::string& app, const std::string& conv, const std::string& from,
                         std::uint64_t skip, std::string_view action, boost::json::object fields, audience who) {
  conv_event_frame(app, conv, from, skip, protocol::event_push(action, std::move(fields)), who);
}

void service::conv_event_frame(const std::string& app, const std::string& conv, const std::string& from,
                               std::uint64_t skip, std::string frame, audience who) {
  auto d = std::make_shared<delivery>();
  d->what = delivery::kind::event;
  d->app = app;
  d->conv = conv;
  if (core::is_room_conv(conv)) {
    d->room = core::conv_room(conv);
  } else {
    d->to = core::direct_peer(conv, from);
    // The two users whose devices receive it: the same one twice is one.
    d->from = who == audience::other_user ? d->to : from;
  }
  d->skip_session = skip;
  d->frame = std::make_shared<const std::string>(std::move(frame));
  out_.publish(std::move(d));
}

}  // namespace chorus::chat
