// The protocol's actions, one function each (docs/protocol.md). Runs on the
// session's shard thread; store results come back through back_on_shard().
#include "chorus/core/clock.hpp"
#include "chorus/core/ids.hpp"
#include "chorus/gateway/session.hpp"
#include "chorus/gateway/shard.hpp"
#include "chorus/protocol/encode.hpp"

#include <prometheus/histogram.h>

namespace chorus::gateway {

using core::code;
namespace json = boost::json;

namespace {
protocol::limits limits_of(const core::config& cfg) {
  protocol::limits l;
  l.max_message_bytes = cfg.max_message_bytes;
  return l;
}

const char* store_error_text(store::status st) {
  return st == store::status::not_member ? "not a member of this conversation" : "store error, try again";
}

code store_code(store::status st) { return st == store::status::not_member ? code::not_member : code::store_error; }
}  // namespace

void session::dispatch(const protocol::request& r) {
  static const std::pair<std::string_view, reply_fn> actions[] = {
      {"login", &session::do_login},     {"heartbeat", &session::do_heartbeat},
      {"sendmsg", &session::do_sendmsg}, {"ack", &session::do_ack},
      {"sync", &session::do_sync},       {"history", &session::do_history},
      {"join", &session::do_join},       {"leave", &session::do_leave},
      {"rooms", &session::do_rooms},     {"conversations", &session::do_conversations},
      {"read", &session::do_read},       {"typing", &session::do_typing},
      {"presence", &session::do_presence},
  };
  for (auto& [name, fn] : actions)
    if (r.action == name) return (this->*fn)(r);
  respond(r.seq, r.action, code::unknown_action, "unknown action: " + r.action);
}

bool session::require_login(const protocol::request& r) {
  if (logged_in_) return true;
  respond(r.seq, r.action, code::not_logged_in, "log in first");
  return false;
}

void session::do_login(const protocol::request& r) {
  if (logged_in_ || login_pending_) {
    respond(r.seq, r.action, code::already_logged_in, "this connection is logged in already");
    return;
  }
  auto login = protocol::read_login(r.data);
  if (!login) {
    respond(r.seq, r.action, login.error.code, login.error.msg);
    return;
  }
  auto who = ctx_.auth.verify(*login);
  if (who.code != code::ok) {
    respond(r.seq, r.action, who.code, who.error);
    return;
  }
  app_ = who.app;
  user_ = who.user;
  device_ = login->device;
  target_ = login->to_uid != "0" || login->room != "0"
                ? std::make_unique<login_target>(login_target{login->to_uid, login->room})
                : nullptr;
  manual_ack_ = login->manual_ack;
  login_pending_ = true;
  if (login_room() == "0") {
    finish_login(r.seq, r.action);
    return;
  }
  // The Go system's room page joins its room by logging in with groupsId.
  ctx_.chat.join(app_, login_room(), user_, back_on_shard<store::join_result>([this, seq = r.seq, action = r.action](store::join_result jr) {
      if (jr.st != store::status::ok) {
        login_pending_ = false;
        respond(seq, action, store_code(jr.st), store_error_text(jr.st));
        return;
      }
      finish_login(seq, action);
  }));
}

// The response waits for the first sync round's read (answer_login, which
// builds it then: nothing of it is held across the read): so the
// starting point of each conversation is fixed when the client hears "ok",
// and every message stored after that reaches this connection, though
// another live connection of the same deviceId moves the device's cursor
// meanwhile. Until then nothing is written (events pushed meanwhile follow
// the response).
void session::finish_login(std::string seq, std::string action) {
  logged_in_ = true;
  shard_.hub().add(this);
  // The login's room is known now (it was just joined): index it at once, so
  // that this page hears the room's events (enter, typing) from now on, not
  // only after its first sync round. Its messages meanwhile are dropped by
  // the syncing inbox and fetched by the sync.
  if (login_room() != "0") shard_.hub().add_room(this, login_room());
  // The first device of a user to come online announces it once its
  // conversations are known (after the first sync round).
  announce_online_ = ctx_.chat.presence().up(app_, user_) == 1;
  if (login_room() != "0") {
    json::object f{{"from", user_}, {"to", "0"}, {"groupsId", login_room()}, {"appId", app_},
                   {"msgTimestamp", std::to_string(core::unix_ms() / 1000)}};
    ctx_.chat.conv_event(app_, core::room_conv(login_room()), user_, id_, "enter", std::move(f));
  }
  // Deliver what this device missed, then the live stream; in a cluster,
  // also what other nodes routed past this login before they knew of it.
  start_sync({});
  sync_->login = {std::move(seq), std::move(action)};
  settle_sync();
}

void session::do_heartbeat(const protocol::request& r) {
  if (!require_login(r)) return;
  respond(r.seq, r.action, code::ok, {}, json::object{{"serverTime", core::unix_ms()}});
}

void session::do_sendmsg(const protocol::request& r) {
  if (!require_login(r)) return;
  auto m = protocol::read_sendmsg(r.data, limits_of(ctx_.cfg));
  if (!m) {
    respond(r.seq, r.action, m.error.code, m.error.msg);
    return;
  }
  core::message msg;
  msg.app = app_;
  msg.from = user_;
  msg.room = m->room;
  msg.to = m->room != "0" ? "0" : (m->to_uid != "0" ? m->to_uid : to_uid());
  if (msg.room == "0" && msg.to == "0") {
    respond(r.seq, r.action, code::bad_parameter, "toUid is required (none was given here or at login)");
    return;
  }
  msg.type = std::move(m->type);
  msg.content = std::move(m->content);
  msg.client_msg_id = std::move(m->client_msg_id);
  // Stamped now, not when the store gets to it: whatever this connection
  // sends after it (a typing event, relayed at once) is stamped later.
  msg.ts_ms = core::unix_ms();
  if (sends_in_flight_ < UINT16_MAX) ++sends_in_flight_;
  ctx_.chat.send(std::move(msg), id_, back_on_shard<store::append_result>([this, seq = r.seq, action = r.action, t0 = core::steady_us()](store::append_result res) {
      auto answered = [&] {
        if (auto* h = shard_.sendmsg_seconds()) h->Observe(static_cast<double>(core::steady_us() - t0) / 1e6);
        if (sends_in_flight_ > 0 && --sends_in_flight_ == 0 && sync_ && sync_->own_wait) {
          sync_->own_wait = false;
          feed_sync();
        }
      };
      if (res.st != store::status::ok) {
        respond(seq, action, store_code(res.st), store_error_text(res.st));
        answered();
        return;
      }
      if (res.msg.room == "0") inbox_.note_own(res.msg.conv, res.msg.seq);
      respond_encoded(protocol::sendmsg_answer(seq, action, res.msg, res.duplicate));
      answered();
  }));
}

std::string session::resolve_conv(const protocol::request& r, const protocol::conv_ref& ref) {
  std::string conv = ref.conv;
  if (conv.empty()) conv = ref.room != "0" ? core::room_conv(ref.room) : core::direct_conv(user_, ref.to_uid);
  bool mine = core::is_room_conv(conv) ? shard_.hub().in_room(this, std::string(core::conv_room(conv)))
                                       : core::direct_conv_has(conv, user_);
  if (!mine) {
    respond(r.seq, r.action, code::not_member, "not a member of " + conv);
    return {};
  }
  return conv;
}

std::optional<store::position> session::read_mark(const protocol::request& r) {
  if (!require_login(r)) return std::nullopt;
  auto a = protocol::read_ack(r.data);
  if (!a) {
    respond(r.seq, r.action, a.error.code, a.error.msg);
    return std::nullopt;
  }
  auto conv = resolve_conv(r, a->where);
  if (conv.empty()) return std::nullopt;
  if (a->seq > inbox_.position(conv)) {
    respond(r.seq, r.action, code::bad_parameter, "convSeq is beyond what this connection was sent");
    return std::nullopt;
  }
  return store::position{std::move(conv), a->seq};
}

void session::do_ack(const protocol::request& r) {
  auto mark = read_mark(r);
  if (!mark) return;
  // Answered once the cursor is committed: an acked message is never sent
  // to this device again, even after a crash.
  auto& [conv, upto_seq] = *mark;
  ctx_.chat.storage().advance_cursor(
      app_, user_, device_, conv, upto_seq,
      back_on_shard<store::status>([this, seq = r.seq, action = r.action, conv, upto = upto_seq](store::status st) {
        if (st != store::status::ok) {
          respond(seq, action, code::store_error, "store error, ack again");
          return;
        }
        announce_delivered(conv, upto);
        respond(seq, action, code::ok, {}, json::object{{"conv", conv}, {"convSeq", upto}});
      }));
}

void session::do_sync(const protocol::request& r) {
  if (!require_login(r)) return;
  // In a cluster, right after the login: answered by its settle round
  // (settle_sync in session_sync.cpp), if that has yet to read.
  if (settle_ && !settle_->reading) {
    if (!r.seq.empty()) settle_->waiters.push_back({r.seq, settle_->pushed});
    return;
  }
  start_sync(r.seq);
}

void session::do_history(const protocol::request& r) {
  if (!require_login(r)) return;
  auto h = protocol::read_history(r.data, protocol::limits{});
  if (!h) {
    respond(r.seq, r.action, h.error.code, h.error.msg);
    return;
  }
  std::string conv = h->where.conv;
  if (conv.empty())
    conv = h->where.room != "0" ? core::room_conv(h->where.room) : core::direct_conv(user_, h->where.to_uid);
  store::history_request q{app_, user_, conv, h->before, h->limit};
  ctx_.chat.storage().history(std::move(q), back_on_shard<store::history_result>([this, seq = r.seq, action = r.action,
                                             conv](store::history_result res) {
      if (res.st != store::status::ok) {
        respond(seq, action, store_code(res.st), store_error_text(res.st));
        return;
      }
      json::array list;
      for (auto& m : res.messages) list.push_back(protocol::message_json(m));
      bool more = !res.messages.empty() && res.messages.back().seq > 1;
      respond(seq, action, code::ok, {}, json::object{{"conv", conv}, {"messages", std::move(list)}, {"more", more}});
  }));
}

void session::do_join(const protocol::request& r) {
  if (!require_login(r)) return;
  auto room = protocol::read_room(r.data);
  if (!room) {
    respond(r.seq, r.action, room.error.code, room.error.msg);
    return;
  }
  ctx_.chat.join(app_, room->room, user_, back_on_shard<store::join_result>([this, seq = r.seq, action = r.action,
                                           id = room->room](store::join_result res) {
      if (res.st != store::status::ok) {
        respond(seq, action, store_code(res.st), store_error_text(res.st));
        return;
      }
      if (res.joined)
        ctx_.chat.conv_event(app_, core::room_conv(id), user_, id_, "join",
                             json::object{{"conv", core::room_conv(id)}, {"groupsId", id}, {"from", user_}});
      respond(seq, action, code::ok, {},
              json::object{{"groupsId", id}, {"conv", core::room_conv(id)}, {"joined", res.joined},
                           {"joinedSeq", res.joined_seq}});
  }));
}

void session::do_leave(const protocol::request& r) {
  if (!require_login(r)) return;
  auto room = protocol::read_room(r.data);
  if (!room) {
    respond(r.seq, r.action, room.error.code, room.error.msg);
    return;
  }
  ctx_.chat.leave(app_, room->room, user_, back_on_shard<store::leave_result>([this, seq = r.seq, action = r.action,
                                            id = room->room](store::leave_result res) {
      if (res.st != store::status::ok) {
        respond(seq, action, store_code(res.st), store_error_text(res.st));
        return;
      }
      if (!res.left) {
        respond(seq, action, code::not_member, "not a member of room " + id);
        return;
      }
      ctx_.chat.conv_event(app_, core::room_conv(id), user_, id_, "leave",
                           json::object{{"conv", core::room_conv(id)}, {"groupsId", id}, {"from", user_}});
      respond(seq, action, code::ok, {}, json::object{{"groupsId", id}, {"left", true}});
  }));
}

void session::do_rooms(const protocol::request& r) {
  if (!require_login(r)) return;
  ctx_.chat.storage().rooms(app_, back_on_shard<store::rooms_result>([this, seq = r.seq, action = r.action](store::rooms_result res) {
      if (res.st != store::status::ok) {
        respond(seq, action, store_code(res.st), store_error_text(res.st));
        return;
      }
      json::array list;
      for (auto& room : res.rooms)
        list.push_back(json::object{{"groupsId", room.room}, {"members", room.members},
                                    {"member", shard_.hub().in_room(this, room.room)}});
      respond(seq, action, code::ok, {}, json::object{{"rooms", std::move(list)}});
  }));
}

}  // namespace chorus::gateway
