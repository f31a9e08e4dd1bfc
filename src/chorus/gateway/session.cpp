#include "chorus/gateway/session.hpp"

#include "chorus/core/clock.hpp"
#include "chorus/core/ids.hpp"
#include "chorus/gateway/shard.hpp"
#include "chorus/protocol/encode.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>

namespace chorus::gateway {

namespace {
std::atomic<std::uint64_t> next_session_id{1};
// A client that keeps sending after this many refused frames in a row is
// closed: it is not reading its errors.
constexpr unsigned max_refusals = 200;
// Cursors of a busy auto-ack session are saved at least this often (frames).
constexpr std::size_t cursor_save_every = 64;
constexpr std::int64_t close_grace_ms = 5000;
}  // namespace

session::session(context& ctx, shard& sh)
    : shard_(sh), ctx_(ctx), id_(next_session_id.fetch_add(1)), limiter_(ctx.cfg.rate_per_s, ctx.cfg.rate_burst) {}

session::~session() = default;

boost::asio::io_context& session::shard_io() noexcept { return shard_.io(); }

void session::on_open() {
  phase_ms_ = last_activity_ms_ = core::steady_ms();
  shard_.attach(this);
  ctx_.metrics.connections.Increment();
  ctx_.metrics.connections_total.Increment();
}

void session::on_gone() {
  if (gone_) return;
  gone_ = true;
  // At once: the device may be logging in elsewhere (another node) already.
  flush_cursors(true);
  if (logged_in_) {
    shard_.hub().remove(this);
    if (ctx_.chat.presence().down(app_, user_) == 0) announce_presence(false);
    if (login_room() != "0") {
      boost::json::object f{{"from", user_}, {"to", "0"}, {"groupsId", login_room()}, {"appId", app_},
                            {"msgTimestamp", std::to_string(core::unix_ms() / 1000)}};
      ctx_.chat.conv_event(app_, core::room_conv(login_room()), user_, id_, "exit", std::move(f));
    }
  }
  queue_.clear();
  shard_.detach(this);
  ctx_.metrics.connections.Decrement();
}

void session::on_frame(std::string_view text, bool binary) {
  if (closing_) return;
  ctx_.metrics.frames_in.Increment();
  auto now = core::steady_ms();
  last_activity_ms_ = now;
  if (binary) {
    respond("", "", core::code::malformed_frame, "binary frames are not supported; send JSON text");
    return;
  }
  auto parsed = protocol::parse_request(text);
  if (!limiter_.allow(now)) {
    ctx_.metrics.rate_limited.Increment();
    if (++refusals_ > max_refusals) {
      close(core::close_code::policy, "rate limit exceeded");
      return;
    }
    respond(parsed.req.seq, parsed.req.action, core::code::rate_limited,
            fmt::format("rate limited: at most {:g} frames per second", ctx_.cfg.rate_per_s));
    return;
  }
  refusals_ = 0;
  if (parsed.code != core::code::ok) {
    respond(parsed.req.seq, parsed.req.action, parsed.code, parsed.error);
    return;
  }
  dispatch(parsed.req);
}

void session::respond(std::string_view seq, std::string_view action, core::code c, std::string_view msg,
                      boost::json::object data) {
  if (c != core::code::ok) ctx_.metrics.errors.Increment();
  respond_encoded(protocol::response(seq, action, c, msg, std::move(data)));
}

namespace {
const std::string none = "0";
}  // namespace

const std::string& session::to_uid() const noexcept { return target_ ? target_->to_uid : none; }
const std::string& session::login_room() const noexcept { return target_ ? target_->room : none; }

void session::respond_encoded(std::string frame) {
  enqueue({std::make_shared<const std::string>(std::move(frame)), nullptr});
}

void session::offer(const std::shared_ptr<const chat::delivery>& d) {
  if (closing_ || gone_) return;
  if (d->what == chat::delivery::kind::event) {
    // Events are ephemeral hints (typing, presence, marks): under
    // backpressure they give way, so that a busy user (one many others talk
    // to) is not closed for the events of everyone else's logins.
    auto& cfg = ctx_.cfg;
    if (queue_.size() >= cfg.send_queue_max_frames / 2 || queued_bytes_ >= cfg.send_queue_max_bytes / 2) {
      ctx_.metrics.events_dropped.Increment();
      return;
    }
    enqueue({d->frame, nullptr});
    return;
  }
  switch (inbox_.offer(d->conv, d->seq)) {
    case chat::inbox::verdict::deliver:
      enqueue({d->frame, d});
      break;
    case chat::inbox::verdict::drop:
      break;
    case chat::inbox::verdict::resync:
      // A gap: fetch what is missing from the store, in order.
      start_sync({});
      break;
  }
}

void session::offer_own(const chat::delivery& d) {
  if (closing_ || gone_) return;
  inbox_.note_own(d.conv, d.seq);
}

void session::on_membership(const chat::membership_change& c) {
  auto conv = core::room_conv(c.room);
  if (c.joined) inbox_.joined(conv, c.joined_seq);
  else inbox_.left(conv);
}

void session::enqueue(out_frame f) {
  if (closing_) return;
  auto size = f.text->size();
  if (queue_.size() >= ctx_.cfg.send_queue_max_frames || queued_bytes_ + size > ctx_.cfg.send_queue_max_bytes) {
    // A slow reader is cut loose rather than slowing anyone else; it gets
    // everything back by sync when it reconnects.
    ctx_.metrics.slow_consumer_closes.Increment();
    spdlog::info("session {} ({}/{}): send queue full, closing", id_, app_, user_);
    // close() from offer() must not touch the hub now: it only starts the close.
    close(core::close_code::slow_consumer, "send queue overflow: reconnect and sync");
    return;
  }
  if (f.msg) ctx_.metrics.pushes.Increment();
  queued_bytes_ += size;
  queue_.push_back(std::move(f));
  pump();
}

void session::pump() {
  if (gone_) return;
  if (queue_.size() > in_flight_) {
    if (answer_first()) return;
    wake_writer();
    return;
  }
  if (queue_.empty() && closing_ && !transport_closing_) {
    transport_closing_ = true;
    close_transport(close_code_, close_reason_);
  }
}

std::size_t session::frames_to_write(std::string_view* out, std::size_t max_frames, std::size_t max_bytes) {
  if (answer_first()) return 0;
  std::size_t n = 0, bytes = 0;
  for (auto i = in_flight_; i < queue_.size() && n < max_frames; ++i) {
    const auto& text = *queue_[i].text;
    if (n > 0 && bytes + text.size() > max_bytes) break;
    out[n++] = text;
    bytes += text.size();
  }
  in_flight_ += n;
  return n;
}

void session::on_written(std::size_t frames) {
  in_flight_ -= frames;
  bool saw_msg = false;
  for (; frames > 0 && !queue_.empty(); --frames) {
    auto f = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= f.text->size();
    ctx_.metrics.frames_out.Increment();
    if (f.msg && !manual_ack_) {
      // Auto-ack: a message counts as delivered once written to the socket.
      auto it = std::find_if(unsaved_cursors_.begin(), unsaved_cursors_.end(),
                             [&](auto& p) { return p.conv == f.msg->conv; });
      if (it == unsaved_cursors_.end()) unsaved_cursors_.push_back({f.msg->conv, f.msg->seq});
      else it->seq = std::max(it->seq, f.msg->seq);
      ++written_since_save_;
      saw_msg = true;
    }
  }
  // When the queue drains, what was written is saved, also when this write
  // held only events: the messages' own write may have left one queued
  // behind them (a `delivered` or `typing` that came meanwhile), and
  // waiting for a message written with nothing behind it left the last
  // messages' cursor and their `delivered` mark until the next message.
  if (!unsaved_cursors_.empty() && (queue_.empty() || (saw_msg && written_since_save_ >= cursor_save_every)))
    flush_cursors();
  if (queue_.empty()) trim();
  if (sync_ && !sync_->backlog.empty()) feed_sync();
  pump();
}

void session::flush_cursors(bool urgent) {
  for (auto& p : unsaved_cursors_) {
    // A callback makes the store commit the mark at once (store.hpp).
    ctx_.chat.storage().advance_cursor(app_, user_, device_, p.conv, p.seq,
                                       urgent ? [](store::status) {} : std::function<void(store::status)>{});
    announce_delivered(p.conv, p.seq);
  }
  unsaved_cursors_.clear();
  written_since_save_ = 0;
  // Those handed over earlier without a callback may still be held back.
  if (urgent && logged_in_) ctx_.chat.storage().expedite_marks();
}

void session::close(unsigned short code, const char* reason) {
  if (closing_ || gone_) return;
  closing_ = true;
  close_code_ = code;
  close_reason_ = reason;
  phase_ms_ = core::steady_ms();
  // What is queued still goes out before the close frame (answers to every
  // request read so far), except for a reader too slow to take it: it keeps
  // only the frames being written and recovers messages by sync.
  if (code == core::close_code::slow_consumer) {
    while (queue_.size() > in_flight_) {
      queued_bytes_ -= queue_.back().text->size();
      queue_.pop_back();
    }
  }
  pump();
}

void session::trim() {
  if (queue_.empty()) queue_ = {};
  if (unsaved_cursors_.empty()) unsaved_cursors_.shrink_to_fit();
}

void session::check_timeouts(std::int64_t now) {
  if (gone_) return;
  if (closing_) {
    if (now - phase_ms_ > close_grace_ms) abort_transport();
    return;
  }
  if (!logged_in_ && now - phase_ms_ > static_cast<std::int64_t>(ctx_.cfg.login_timeout_s) * 1000) {
    ctx_.metrics.idle_closes.Increment();
    close(core::close_code::login_timeout, "login timeout");
  } else if (now - last_activity_ms_ > static_cast<std::int64_t>(ctx_.cfg.idle_timeout_s) * 1000) {
    ctx_.metrics.idle_closes.Increment();
    close(core::close_code::idle_timeout, "idle timeout: send heartbeats");
  }
}

}  // namespace chorus::gateway
