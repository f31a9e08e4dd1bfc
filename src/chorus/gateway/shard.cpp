#include "chorus/gateway/shard.hpp"

#include "chorus/core/clock.hpp"
#include "chorus/gateway/session.hpp"

#include <boost/asio/post.hpp>

#include <vector>

namespace chorus::gateway {

namespace net = boost::asio;

shard::shard(unsigned index) : index_(index) {}

shard::~shard() { join(); }

void shard::start() {
  sweep();
  thread_ = std::thread([this] {
    // Handlers never throw by design; a throw is a bug and ends the process.
    io_.run();
  });
}

void shard::join() {
  if (thread_.joinable()) thread_.join();
}

void shard::stop() { io_.stop(); }

void shard::post(std::function<void()> f) { net::post(io_, std::move(f)); }

void shard::close_all(unsigned short code, const char* reason) {
  std::vector<session*> all(sessions_.begin(), sessions_.end());
  for (auto* s : all) s->close(code, reason);
}

void shard::sweep() {
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    auto now = core::steady_ms();
    std::vector<session*> all(sessions_.begin(), sessions_.end());
    for (auto* s : all) s->check_timeouts(now);
    sweep();
  });
}

}  // namespace chorus::gateway
