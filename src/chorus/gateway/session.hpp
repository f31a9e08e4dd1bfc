// A client's session, independent of the transport: login state, the
// protocol's actions, the bounded send queue with its single writer, the
// inbox that keeps pushes in order and exactly once, and sync rounds. Lives on
// one shard and is touched only by that shard's thread; store callbacks come
// back by posting to the shard. ws_session supplies the WebSocket transport.
#pragma once

#include "chorus/chat/endpoint.hpp"
#include "chorus/chat/inbox.hpp"
#include "chorus/core/codes.hpp"
#include "chorus/gateway/context.hpp"
#include "chorus/gateway/rate_limiter.hpp"
#include "chorus/protocol/fields.hpp"
#include "chorus/protocol/request.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/container/devector.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chorus::gateway {

class shard;

class session : public chat::endpoint, public std::enable_shared_from_this<session> {
 public:
  session(context& ctx, shard& sh);
  virtual ~session();

  const std::string& app() const noexcept override { return app_; }
  const std::string& user() const noexcept override { return user_; }
  std::uint64_t session_id() const noexcept override { return id_; }
  void offer(const std::shared_ptr<const chat::delivery>& d) override;
  void offer_own(const chat::delivery& d) override;
  void on_membership(const chat::membership_change& c) override;

  // Starts the closing handshake with `code` once the queued frames are
  // written (a slow consumer's are dropped instead: it recovers them by sync). `reason` must outlive the session (a
  // string literal): it is kept as a pointer.
  void close(unsigned short code, const char* reason);
  // Called by the shard's sweep once a second.
  void check_timeouts(std::int64_t now_ms);

 protected:
  // The transport. wake_writer() says frames are waiting: the transport
  // takes them with frames_to_write() (one batch at a time, written in one
  // system call) and reports each batch with on_written().
  virtual void wake_writer() = 0;
  virtual void close_transport(unsigned short code, std::string reason) = 0;
  virtual void abort_transport() = 0;  // drop the TCP connection now

  void on_open();
  void on_frame(std::string_view text, bool binary);
  // Up to `max_frames` queued frames not yet handed over (at most `max_bytes`
  // in all, but at least one), from the front of the queue, into `out`; they
  // stay queued until on_written() reports them.
  std::size_t frames_to_write(std::string_view* out, std::size_t max_frames, std::size_t max_bytes);
  void on_written(std::size_t frames);  // a failed write ends the session instead
  void on_gone();  // the transport is finished; leave every index

  shard& shard_;
  context& ctx_;

 private:
  friend class shard;
  session* prev_in_shard_ = nullptr;  // the shard's list of its sessions
  session* next_in_shard_ = nullptr;

  struct out_frame {
    std::shared_ptr<const std::string> text;
    std::shared_ptr<const chat::delivery> msg;  // set for a message push
  };
  using reply_fn = void (session::*)(const protocol::request&);

  // Actions (session_actions.cpp).
  void dispatch(const protocol::request& r);
  void do_login(const protocol::request& r);
  void do_heartbeat(const protocol::request& r);
  void do_sendmsg(const protocol::request& r);
  void do_ack(const protocol::request& r);
  void do_sync(const protocol::request& r);
  void do_history(const protocol::request& r);
  void do_join(const protocol::request& r);
  void do_leave(const protocol::request& r);
  void do_rooms(const protocol::request& r);
  // Awareness (session_awareness.cpp): typing, read marks, presence, the
  // conversation list, delivered marks.
  void do_conversations(const protocol::request& r);
  void do_read(const protocol::request& r);
  void do_typing(const protocol::request& r);
  void do_presence(const protocol::request& r);
  void announce_delivered(const std::string& conv, std::uint64_t seq);
  void announce_presence(bool online);
  void finish_login(std::string seq, std::string action);
  bool require_login(const protocol::request& r);
  // The conversation and convSeq of an ack or read, checked (else answered).
  std::optional<store::position> read_mark(const protocol::request& r);
  // The conversation named by conv / toUid / groupsId, if this user is in it.
  std::string resolve_conv(const protocol::request& r, const protocol::conv_ref& ref);

  // Sending (session.cpp).
  void respond(std::string_view seq, std::string_view action, core::code c, std::string_view msg = {},
               boost::json::object data = {});
  // Queues a response encoded already (a success: not counted as an error).
  void respond_encoded(std::string frame);
  void enqueue(out_frame f);
  void pump();
  void flush_cursors(bool urgent = false);  // urgent: the store commits them at once
  // Gives back the memory of empty queues (an idle session keeps none);
  // called whenever the send queue drains.
  void trim();
  // A store callback that brings its result back to this session's shard
  // and runs `f` there, if the session is still open. The session stays
  // alive until then, and is never released on the store's thread.
  template <class R, class F>
  std::function<void(R)> back_on_shard(F f) {
    return [self = shared_from_this(), f = std::move(f)](R r) mutable {
      auto& io = self->shard_io();
      boost::asio::post(io, [self = std::move(self), f = std::move(f), r = std::move(r)]() mutable {
        if (!self->gone_) f(std::move(r));
      });
    };
  }
  boost::asio::io_context& shard_io() noexcept;

  // Sync (session_sync.cpp).
  void start_sync(std::string seq);
  // In a cluster: one more round once routes are sure to include this login.
  void settle_sync();
  // `patient`: a message of this user is not pushed at once but looked at
  // again a moment later (settle_check in session_sync.cpp).
  void settle_check(bool patient = true);
  void settle_later(std::chrono::milliseconds wait, bool patient);
  // The settle round is over: answers the syncs that waited for it, or, if
  // a sync round reads on after it (`into_sync`), hands them to that round.
  void settle_done(bool into_sync);
  // A message read from the store that may be one of this session's
  // sendmsgs still in flight: read before its answer (which makes the inbox
  // know it as its own) reached this shard. Pushed, it would come back to
  // the connection that sent it.
  bool maybe_own_in_flight(const core::message& m) const;
  void push_stored(const core::message& m);  // a message read from the store, to the send queue
  store::sync_request sync_request() const;
  void sync_round();
  void on_sync_result(store::sync_result r);
  void feed_sync();
  // Queues the held login response ahead of whatever waited behind it.
  void answer_login();
  // Logged in, the response not queued yet: nothing is written meanwhile.
  bool answer_first() const noexcept { return login_pending_ && logged_in_ && !closing_; }

  // The login's toUid and groupsId ("0": none), held only when one is
  // set: most logins set neither, and two strings inline were 64 bytes of
  // every idle connection's ~1.5 KiB.
  const std::string& to_uid() const noexcept;
  const std::string& login_room() const noexcept;

  std::uint64_t id_;
  std::string app_, user_, device_;
  struct login_target {
    std::string to_uid, room;
  };
  std::unique_ptr<login_target> target_;

  chat::inbox inbox_;
  // A sync in progress; allocated only while one runs.
  struct sync_state {
    struct waiter {
      std::string seq;        // of the sync request, answered when caught up
      std::size_t count_at;   // `count` when it came: it reports what came after
    };
    std::vector<waiter> waiters;
    std::size_t count = 0;  // messages queued by this sync
    // Read by this round, not queued yet. Queues are Boost.Container
    // devectors: 32 bytes (a std::deque is 80 and allocates on
    // construction), nothing allocated while empty.
    boost::container::devector<core::message> backlog;
    bool more = false, new_rooms = false;
    // Feeding waits for this session's sendmsgs in flight to be answered
    // (feed_sync): the next message read is this user's, maybe its own.
    bool own_wait = false;
    // The login's seq and action, answered once the first round has placed
    // where each conversation starts (finish_login).
    std::optional<std::pair<std::string, std::string>> login;
  };
  std::unique_ptr<sync_state> sync_;
  // In a cluster, from the login until its settle round is over: the
  // client's syncs meanwhile wait for that round (which reads after them)
  // instead of reading the store themselves. Allocated only then.
  struct settle_state {
    std::vector<sync_state::waiter> waiters;  // count_at: `pushed` when it came
    std::size_t pushed = 0;                   // messages from the store queued meanwhile
    // Its read is on its way: a request now came after it, and reads itself.
    bool reading = false;
  };
  std::unique_ptr<settle_state> settle_;

  // Given back whenever it drains.
  boost::container::devector<out_frame> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t in_flight_ = 0;  // frames at the front of queue_ handed to the transport
  std::vector<store::position> unsaved_cursors_;
  std::size_t written_since_save_ = 0;

  rate_limiter limiter_;
  // When the current phase began: the connection (until login), or the
  // close (once closing), for their timeouts.
  std::int64_t phase_ms_ = 0;
  std::int64_t last_activity_ms_ = 0;
  const char* close_reason_ = "";
  unsigned refusals_ = 0;
  unsigned short close_code_ = 0;
  std::uint16_t sends_in_flight_ = 0;  // sendmsgs handed to the store, not answered yet
  // Flags together: a session is ~19,000 times per process.
  bool logged_in_ = false;
  bool login_pending_ = false;  // asked, not answered: writes wait (finish_login)
  bool manual_ack_ = false;
  bool announce_online_ = false;
  bool closing_ = false;
  bool transport_closing_ = false;
  bool gone_ = false;
};

}  // namespace chorus::gateway
