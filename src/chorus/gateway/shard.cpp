#include "chorus/gateway/shard.hpp"

#include "chorus/core/clock.hpp"
#include "chorus/core/thread_name.hpp"
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
    core::name_this_thread("shard-" + std::to_string(index_));
    // Handlers never throw by design; a throw is a bug and ends the process.
    io_.run();
  });
}

void shard::join() {
  if (thread_.joinable()) thread_.join();
}

void shard::stop() { io_.stop(); }

void shard::post(std::function<void()> f) { net::post(io_, std::move(f)); }

void shard::attach(session* s) {
  s->next_in_shard_ = head_;
  s->prev_in_shard_ = nullptr;
  if (head_) head_->prev_in_shard_ = s;
  head_ = s;
  ++count_;
}

void shard::detach(session* s) {
  if (s->prev_in_shard_) s->prev_in_shard_->next_in_shard_ = s->next_in_shard_;
  else if (head_ == s) head_ = s->next_in_shard_;
  else return;  // not attached
  if (s->next_in_shard_) s->next_in_shard_->prev_in_shard_ = s->prev_in_shard_;
  s->prev_in_shard_ = s->next_in_shard_ = nullptr;
  --count_;
}

// A copy: closing or sweeping a session may detach it.
std::vector<session*> shard::sessions() const {
  std::vector<session*> all;
  all.reserve(count_);
  for (auto* s = head_; s; s = s->next_in_shard_) all.push_back(s);
  return all;
}

void shard::close_all(unsigned short code, const char* reason) {
  auto all = sessions();
  for (auto* s : all) s->close(code, reason);
}

void shard::sweep() {
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    auto now = core::steady_ms();
    auto all = sessions();
    for (auto* s : all) s->check_timeouts(now);
    sweep();
  });
}

}  // namespace chorus::gateway
