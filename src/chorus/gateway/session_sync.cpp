// Sync rounds: read what this device is missing from the store and queue it,
// in order, until a round finds nothing new and no live message was dropped
// meanwhile (chat/inbox.hpp). Each round reads at most --sync-batch messages
// and the next waits for the send queue to drain, so a large backlog never
// floods the queue. Shard thread only.
#include "chorus/core/ids.hpp"
#include "chorus/gateway/session.hpp"
#include "chorus/gateway/shard.hpp"
#include "chorus/protocol/encode.hpp"

#include <spdlog/spdlog.h>

namespace chorus::gateway {

void session::start_sync(std::string seq) {
  if (!seq.empty()) sync_waiters_.push_back(std::move(seq));
  if (inbox_.syncing()) {
    inbox_.request_resync();
    return;
  }
  inbox_.begin_sync();
  sync_count_ = 0;
  sync_round();
}

void session::sync_round() {
  store::sync_request q{app_, user_, device_, inbox_.known(), ctx_.cfg.sync_batch};
  ctx_.chat.storage().sync(std::move(q), back_on_shard<store::sync_result>([this](store::sync_result r) {
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
  for (auto& m : r.missed) {
    if (!inbox_.accept_synced(m.conv, m.seq)) continue;
    auto d = std::make_shared<chat::delivery>();
    d->app = m.app;
    d->conv = m.conv;
    d->seq = m.seq;
    d->frame = std::make_shared<const std::string>(protocol::message_push(m));
    ++sync_count_;
    ctx_.metrics.sync_messages.Increment();
    enqueue({d->frame, std::move(d)});
    if (closing_) return;
  }
  if (inbox_.end_round(r.more, !rooms.empty())) {
    if (queue_.size() >= ctx_.cfg.send_queue_max_frames / 4) sync_waiting_for_drain_ = true;
    else sync_round();
    return;
  }
  for (auto& seq : sync_waiters_)
    respond(seq, "sync", core::code::ok, {}, boost::json::object{{"delivered", sync_count_}});
  sync_waiters_.clear();
}

}  // namespace chorus::gateway
