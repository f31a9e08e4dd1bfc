// What travels from the store's commit to the sessions: a message or an event,
// encoded once (`frame`) and shared by every recipient; and membership
// changes, which update each shard's room index. `fanout` is the seam to "the
// rest of the node/cluster": a local implementation posts to every shard, the
// cluster one also reaches the nodes that hold recipients.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace chorus::chat {

struct delivery {
  enum class kind : std::uint8_t { message, event };
  kind what = kind::message;
  std::string app;
  std::string conv;       // the conversation the frame belongs to
  std::uint64_t seq = 0;  // convSeq of a message; 0 for an event
  std::string room;       // the room id, or "" for a one-to-one conversation
  std::string from, to;   // one-to-one: the two users whose devices receive it
  std::uint64_t skip_session = 0;  // a session that must not get it (the sender of a direct message)
  std::shared_ptr<const std::string> frame;
};

struct membership_change {
  std::string app, room, user;
  bool joined = true;
  std::uint64_t joined_seq = 0;  // the member's messages start after this seq
};

class fanout {
 public:
  virtual ~fanout() = default;
  // Called on the store's writer thread, in commit order; must not block.
  virtual void publish(std::shared_ptr<const delivery> d) = 0;
  virtual void membership(std::shared_ptr<const membership_change> c) = 0;

  // A cluster learns late that a user connected here: other nodes route by a
  // directory this node writes to on its own thread, and may route from a
  // view of it up to route_staleness() old. So a delivery committed in that
  // window can miss a new connection (it is stored: a sync finds it).
  // Returns false where nothing lags (a single node; `done` is dropped).
  // Otherwise runs `done` once, on any thread, when every presence change
  // this node made before the call has been written; a delivery committed
  // route_staleness() after that is routed here.
  virtual bool after_presence_written(std::function<void()> done) {
    (void)done;
    return false;
  }
  // See after_presence_written(); 0: a route never lags the directory.
  virtual std::chrono::milliseconds route_staleness() const { return std::chrono::milliseconds{0}; }
};

}  // namespace chorus::chat
