// Sync rounds: read what this device is missing from the store and queue it,
// in order, until a round finds nothing new and no live message was dropped
// meanwhile (chat/inbox.hpp). A round reads at most --sync-batch messages into
// a backlog, which feeds the send queue only while the queue is under half
// its bounds (frames and bytes); the next round starts when the backlog is
// queued. So a backlog of any size reaches a slow reader without ever
// overflowing its queue. Shard thread only.
#include "chorus/core/clock.hpp"
#include "chorus/core/ids.hpp"
#include "chorus/gateway/session.hpp"
#include "chorus/gateway/shard.hpp"
#include "chorus/protocol/encode.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

namespace chorus::gateway {

namespace net = boost::asio;
namespace json = boost::json;

void session::start_sync(std::string seq) {
  if (inbox_.syncing()) {
    if (!seq.empty()) sync_->waiters.push_back({std::move(seq), sync_->count});
    inbox_.request_resync();
    return;
  }
  inbox_.begin_sync();
  sync_ = std::make_unique<sync_state>();
  if (!seq.empty()) sync_->waiters.push_back({std::move(seq), 0});
  sync_round();
}

// In a cluster another node may route a delivery without this node for a
// while after this login: until this node's presence write is in Redis, and
// then up to route_staleness() (its presence cache). Such a delivery is
// stored, but its push is missed, and the login's sync may have read the
// store before it was committed. So once the write is done and that time has
// passed, the session reads the store once more (settle_check) and pushes,
// in order, what it lacks. The session keeps only `settle_` meanwhile (the
// syncs that wait for the round); the directory's job, the post and a timer
// made for the wait hold only a weak pointer to it. On a single node
// nothing happens.
//
// A `sync` the client sends before that round reads (the web app sends one
// after every login) waits for it and is answered by it: the round reads
// after the request, so it finds what the request's own read would have,
// and what a stale route missed until then too. One that comes while the
// round's read is on its way reads for itself. Reading for every request
// as well cost a 3-node recovery of 15,000 users 17% of its time
// (3.66-3.86 s against 3.09-3.16 without the client's sync): a store read
// per login, and often a second round where the settle met the request's.
// The answer comes up to route_staleness() after the login (0.5 s at the
// default).
void session::settle_sync() {
  auto& out = ctx_.chat.out();
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(out.route_staleness());
  bool lags = out.after_presence_written([weak = weak_from_this(), wait, &io = shard_io()] {
    net::post(io, [weak, wait] {
      if (auto self = weak.lock()) self->settle_later(wait, true);
    });
  });
  if (lags) settle_ = std::make_unique<settle_state>();
}

void session::settle_done(bool into_sync) {
  auto settle = std::move(settle_);
  if (!settle) return;
  for (auto& w : settle->waiters) {
    std::size_t before = settle->pushed - w.count_at;  // already queued for it
    if (into_sync)  // unsigned arithmetic: the answer's count is sync_->count - count_at
      sync_->waiters.push_back({std::move(w.seq), sync_->count - before});
    else
      respond(w.seq, "sync", core::code::ok, {}, json::object{{"delivered", before}});
  }
}

void session::settle_later(std::chrono::milliseconds wait, bool patient) {
  auto sync = [weak = weak_from_this(), patient] {
    auto self = weak.lock();
    if (!self || self->gone_ || self->closing_) return;
    self->settle_check(patient);
  };
  if (wait.count() <= 0) return sync();
  auto timer = std::make_shared<net::steady_timer>(shard_io(), wait);
  timer->async_wait([timer, sync](boost::system::error_code ec) {
    if (!ec) sync();
  });
}

void session::push_stored(const core::message& m) {
  if (settle_) ++settle_->pushed;
  auto d = std::make_shared<chat::delivery>();
  d->app = m.app;
  d->conv = m.conv;
  d->seq = m.seq;
  d->frame = std::make_shared<const std::string>(protocol::message_push(m));
  ctx_.metrics.sync_messages.Increment();
  enqueue({d->frame, std::move(d)});
}

// How long a settle round waits for a message of this user to show up as
// this session's own before pushing it (settle_check).
constexpr std::chrono::milliseconds own_settle_wait{100};

// The settle round reads like a sync but does not pause the live stream (a
// sync drops live pushes while it runs, which would delay every message of a
// busy session by a store round trip, or several under traffic). What it
// reads starts right after the session's positions: each message that is
// still the next one of its conversation is pushed (whichever of it and its
// live push comes second is dropped by the inbox as a duplicate). Only what
// this cannot settle in order (a conversation the session does not know, a
// page cut short, a gap) falls back to a real sync. A message of this user
// waits for a second look (own_settle_wait).
void session::settle_check(bool patient) {
  ctx_.metrics.settle_syncs.Increment();
  // A sync round that reads after this moment does the settle's work, and
  // answers the syncs that waited for it.
  auto to_sync = [this] {
    if (inbox_.syncing())
      inbox_.request_resync();
    else
      start_sync({});
    settle_done(true);
  };
  if (inbox_.syncing()) return to_sync();
  if (settle_) settle_->reading = true;
  ctx_.chat.storage().sync(sync_request(), back_on_shard<store::sync_result>([this, patient, to_sync](store::sync_result r) {
    if (closing_) return;
    if (settle_) settle_->reading = false;
    if (inbox_.syncing()) return to_sync();
    bool fallback = r.st != store::status::ok || r.more;
    for (auto& c : r.convs) fallback = fallback || !inbox_.knows(c.conv);
    if (fallback) return to_sync();
    for (auto& m : r.missed) {
      auto pos = inbox_.position(m.conv);
      if (m.seq <= pos) continue;            // pushed live meanwhile
      if (m.seq != pos + 1) return to_sync();  // cannot happen from a contiguous page; be safe
      // Look again in a moment (this round does not pause the live stream):
      // by then an own message is known, one from another device is pushed.
      if (patient && maybe_own_in_flight(m)) return settle_later(own_settle_wait, false);
      inbox_.accept_synced(m.conv, m.seq);
      push_stored(m);
      if (closing_) return;
    }
    settle_done(false);
  }));
}

bool session::maybe_own_in_flight(const core::message& m) const {
  // A room message goes to its sender too: only one-to-one ones matter.
  return sends_in_flight_ > 0 && m.from == user_ && m.room == "0";
}

// What this connection lacks after the positions its inbox holds; in its
// first round, after the device's cursors for the conversations it has none
// in (store::sync_request::resume_device).
store::sync_request session::sync_request() const {
  return {app_, user_, device_, inbox_.known(), ctx_.cfg.sync_batch, !inbox_.placed()};
}

void session::sync_round() {
  ctx_.chat.storage().sync(sync_request(), back_on_shard<store::sync_result>([this](store::sync_result r) {
    on_sync_result(std::move(r));
  }));
}

void session::on_sync_result(store::sync_result r) {
  if (closing_) return;
  if (r.st != store::status::ok) {
    // Without a sync this device would silently miss messages: let it
    // reconnect and try again instead.
    spdlog::error("session {} ({}/{}): sync failed, closing", id_, app_, user_);
    close(1011, "sync failed: reconnect");
    return;
  }
  auto rooms = inbox_.start_points(r.convs);
  for (auto& room : rooms) shard_.hub().add_room(this, room);
  if (sync_->login) answer_login();
  if (announce_online_) {
    announce_online_ = false;
    announce_presence(true);
  }
  sync_->more = r.more;
  sync_->new_rooms = !rooms.empty();
  sync_->backlog.assign(std::make_move_iterator(r.missed.begin()), std::make_move_iterator(r.missed.end()));
  feed_sync();
}

void session::answer_login() {
  auto [seq, action] = std::move(*sync_->login);
  sync_->login.reset();
  json::object data{{"userId", user_},     {"appId", app_},       {"deviceId", device_},
                    {"toUid", to_uid()},    {"groupsId", login_room()},
                    {"ackMode", manual_ack_ ? "manual" : "auto"}, {"serverTime", core::unix_ms()}};
  auto text = std::make_shared<const std::string>(protocol::response(seq, action, core::code::ok, {}, std::move(data)));
  login_pending_ = false;
  queued_bytes_ += text->size();
  queue_.insert(queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_), out_frame{std::move(text), nullptr});
  pump();
}

void session::feed_sync() {
  auto& cfg = ctx_.cfg;
  auto& backlog = sync_->backlog;
  if (sync_->own_wait) return;  // the last answer in flight calls again
  while (!backlog.empty()) {
    // Leave room for live traffic; an empty queue always takes one.
    if (!queue_.empty() &&
        (queue_.size() >= cfg.send_queue_max_frames / 2 || queued_bytes_ >= cfg.send_queue_max_bytes / 2))
      return;  // on_written() calls again as the queue drains
    // Wait for the answers in flight; the last one calls again.
    if (auto& f = backlog.front(); maybe_own_in_flight(f) && f.seq > inbox_.position(f.conv)) {
      sync_->own_wait = true;
      return;
    }
    auto m = std::move(backlog.front());
    backlog.pop_front();
    if (!inbox_.accept_synced(m.conv, m.seq)) continue;
    ++sync_->count;
    push_stored(m);
    if (closing_) return;
  }
  if (inbox_.end_round(sync_->more, sync_->new_rooms)) {
    sync_round();
    return;
  }
  auto done = std::move(sync_);
  for (auto& w : done->waiters)
    respond(w.seq, "sync", core::code::ok, {}, boost::json::object{{"delivered", done->count - w.count_at}});
}

}  // namespace chorus::gateway
