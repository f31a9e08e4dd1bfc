// Accepts TCP connections for one shard. Every shard has its own acceptor on
// the same port (SO_REUSEPORT), so the kernel spreads connections over the
// shards and an accepted socket already lives on its shard. Another process
// cannot join them: claim() refuses a port that is already listened on.
// When the process is out of file descriptors the accept loop backs off and
// logs instead of spinning.
#pragma once

#include "chorus/gateway/context.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

namespace chorus::gateway {

class shard;

class listener : public std::enable_shared_from_this<listener> {
 public:
  // Before the first acceptor of a fixed port: throws std::runtime_error if
  // another process listens there (see listener.cpp).
  static void claim(const boost::asio::ip::tcp::endpoint& at);
  // Binds and listens; throws std::system_error with the reason on failure.
  listener(context& ctx, shard& sh, const boost::asio::ip::tcp::endpoint& at);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void run();
  void stop();  // thread-safe: posts to the shard

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  context& ctx_;
  shard& shard_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::int64_t last_warning_ms_ = 0;
};

}  // namespace chorus::gateway
