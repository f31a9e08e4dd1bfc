// Awareness actions and events: the conversation list with unread counts,
// read marks, typing, presence and delivered marks (docs/protocol.md). All
// of them are ephemeral pushes except read marks, which the store keeps.
// Shard thread only.
#include "chorus/core/clock.hpp"
#include "chorus/core/ids.hpp"
#include "chorus/gateway/session.hpp"
#include "chorus/gateway/shard.hpp"
#include "chorus/protocol/encode.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>

namespace chorus::gateway {

using core::code;
namespace json = boost::json;
namespace net = boost::asio;

void session::do_conversations(const protocol::request& r) {
  if (!require_login(r)) return;
  ctx_.chat.storage().conversations(app_, user_, back_on_shard<store::conversations_result>(
      [this, seq = r.seq, action = r.action](store::conversations_result res) {
        if (res.st != store::status::ok) {
          respond(seq, action, code::store_error, "store error, try again");
          return;
        }
        json::array list;
        for (auto& c : res.convs) {
          bool room = core::is_room_conv(c.conv);
          auto read = std::min(c.read_seq, c.last_seq);
          json::object o{{"conv", c.conv},
                         {"kind", room ? "room" : "direct"},
                         {"peer", room ? std::string("0") : std::string(core::direct_peer(c.conv, user_))},
                         {"groupsId", room ? std::string(core::conv_room(c.conv)) : std::string("0")},
                         {"lastSeq", c.last_seq},
                         {"readSeq", read},
                         {"unread", c.last_seq - read}};
          if (c.has_last) o["last"] = protocol::message_json(c.last);
          else o["last"] = nullptr;
          list.push_back(std::move(o));
        }
        respond(seq, action, code::ok, {}, json::object{{"conversations", std::move(list)}});
      }));
}

void session::do_read(const protocol::request& r) {
  auto mark = read_mark(r);  // the same fields as ack: a conversation and a convSeq
  if (!mark) return;
  auto& [conv, upto_seq] = *mark;
  ctx_.chat.storage().mark_read(
      app_, user_, conv, upto_seq,
      back_on_shard<store::status>([this, seq = r.seq, action = r.action, conv, upto = upto_seq](store::status st) {
        if (st != store::status::ok) {
          respond(seq, action, code::store_error, "store error, try again");
          return;
        }
        if (upto > 0)
          ctx_.chat.conv_event(app_, conv, user_, id_, "read",
                               json::object{{"conv", conv}, {"from", user_}, {"convSeq", upto}});
        respond(seq, action, code::ok, {}, json::object{{"conv", conv}, {"convSeq", upto}});
      }));
}

void session::do_typing(const protocol::request& r) {
  if (!require_login(r)) return;
  auto where = protocol::read_conv_ref(r.data);
  if (!where) {
    respond(r.seq, r.action, where.error.code, where.error.msg);
    return;
  }
  bool typing = true;
  if (auto* t = r.data.if_contains("typing"); t && !t->is_null()) {
    if (!t->is_bool()) {
      respond(r.seq, r.action, code::bad_parameter, "typing must be true or false");
      return;
    }
    typing = t->get_bool();
  }
  auto conv = resolve_conv(r, *where);
  if (conv.empty()) return;
  bool room = core::is_room_conv(conv);
  json::object f{{"conv", conv},
                 {"from", user_},
                 {"typing", typing},
                 {"groupsId", room ? std::string(core::conv_room(conv)) : std::string("0")},
                 {"to", room ? std::string("0") : std::string(core::direct_peer(conv, user_))},
                 {"serverTime", core::unix_ms()}};
  ctx_.chat.conv_event(app_, conv, user_, id_, "typing", std::move(f));
  respond(r.seq, r.action, code::ok, {}, json::object{{"conv", conv}});
}

void session::do_presence(const protocol::request& r) {
  if (!require_login(r)) return;
  auto where = protocol::read_conv_ref(r.data);
  if (!where) {
    respond(r.seq, r.action, where.error.code, where.error.msg);
    return;
  }
  auto conv = resolve_conv(r, *where);
  if (conv.empty()) return;
  auto reply = [this, seq = r.seq, action = r.action, conv](const std::vector<std::string>& users) {
    auto online = ctx_.chat.presence().online_among(app_, users);
    respond(seq, action, code::ok, {},
            json::object{{"conv", conv}, {"online", json::array(online.begin(), online.end())}});
  };
  if (!core::is_room_conv(conv)) {
    reply({std::string(core::direct_peer(conv, user_)), user_});
    return;
  }
  ctx_.chat.storage().room_members(app_, std::string(core::conv_room(conv)),
                                   back_on_shard<store::members_result>([this, reply, seq = r.seq, action = r.action](
                                                                            store::members_result res) {
                                     if (res.st != store::status::ok) {
                                       respond(seq, action, code::store_error, "store error, try again");
                                       return;
                                     }
                                     reply(res.users);
                                   }));
}

// How long a delivered mark waits for others to collapse with (the held
// cursor marks of store.hpp wait as long).
constexpr std::chrono::milliseconds delivered_every{20};

void session::announce_delivered(const std::string& conv, std::uint64_t seq) {
  // Delivered marks are for one-to-one conversations: the sender sees them.
  if (core::is_room_conv(conv)) return;
  if (!shard_.delivered().add(app_, user_, conv, id_, seq)) return;  // one is scheduled
  // The marks need nothing of the session: they go out after it closes too.
  auto timer = std::make_shared<net::steady_timer>(shard_io(), delivered_every);
  timer->async_wait([timer, &chat = ctx_.chat, &sh = shard_](boost::system::error_code ec) {
    if (ec) return;
    for (auto& m : sh.delivered().take())
      chat.conv_event_frame(m.app, m.conv, m.user, m.session, protocol::delivered_push(m.conv, m.user, m.seq),
                            chat::service::audience::other_user);
  });
}

void session::announce_presence(bool online) {
  for (auto& p : inbox_.known())
    ctx_.chat.conv_event(app_, p.conv, user_, id_, "presence",
                         json::object{{"conv", p.conv}, {"from", user_}, {"online", online}},
                         chat::service::audience::other_user);
}

}  // namespace chorus::gateway
