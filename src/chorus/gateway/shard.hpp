// A shard: one thread, one io_context, the sessions that live on it and its
// hub (who is connected here). Work for a shard from another thread arrives by
// post(). A once-a-second sweep closes idle sessions and finishes stuck
// closes, so sessions carry no timer of their own.
#pragma once

#include "chorus/chat/hub.hpp"
#include "chorus/gateway/delivered_marks.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <thread>

namespace prometheus {
class Histogram;
}
#include <vector>

namespace chorus::gateway {

class session;

class shard {
 public:
  explicit shard(unsigned index);
  ~shard();

  unsigned index() const noexcept { return index_; }
  boost::asio::io_context& io() noexcept { return io_; }
  chat::hub& hub() noexcept { return hub_; }

  void start();  // runs the io_context on a new thread
  void join();   // after stop
  void stop();   // ends the io_context loop

  // On the shard thread only.
  void attach(session* s);
  void detach(session* s);
  std::size_t session_count() const noexcept { return count_; }
  // Closes every session with `code` (going away at shutdown).
  void close_all(unsigned short code, const char* reason);

  void post(std::function<void()> f);

  // Delivered marks of this shard's sessions not announced yet.
  delivered_marks& delivered() noexcept { return delivered_; }

  // Where this shard's sessions record sendmsg latency (none in unit tests).
  void set_sendmsg_seconds(prometheus::Histogram* h) noexcept { sendmsg_seconds_ = h; }
  prometheus::Histogram* sendmsg_seconds() const noexcept { return sendmsg_seconds_; }

 private:
  void sweep();

  unsigned index_;
  boost::asio::io_context io_{1};
  boost::asio::steady_timer sweep_timer_{io_};
  chat::hub hub_;
  std::vector<session*> sessions() const;
  // The shard's sessions as a list linked through the sessions themselves:
  // no allocation per connection (a hash set node was ~40 bytes each).
  session* head_ = nullptr;
  std::size_t count_ = 0;
  prometheus::Histogram* sendmsg_seconds_ = nullptr;
  delivered_marks delivered_;
  std::thread thread_;
};

}  // namespace chorus::gateway
