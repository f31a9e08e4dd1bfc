#include "chorus/cluster/presence_watch.hpp"

#include "chorus/core/clock.hpp"
#include "chorus/core/thread_name.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace chorus::cluster {

namespace {
bool is(const redisReply* r, const char* s) {
  return r && r->type == REDIS_REPLY_STRING && r->len == std::strlen(s) && std::memcmp(r->str, s, r->len) == 0;
}
}  // namespace

presence_watch::presence_watch(std::string host, int port, std::string channel, timing t,
                               prometheus::Counter& commands, callbacks cb)
    : host_(std::move(host)),
      port_(port),
      channel_(std::move(channel)),
      timing_(t),
      commands_(commands),
      cb_(std::move(cb)) {
  thread_ = std::thread([this] {
    core::name_this_thread("redis-watch");
    loop();
  });
}

presence_watch::~presence_watch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (ctx_) redisFree(ctx_);
}

void presence_watch::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stop_.load(); });
}

void presence_watch::loop() {
  while (!stop_) {
    if (subscribe()) read_until_lost();
    if (!stop_) pause(timing_.retry);
  }
}

void presence_watch::lose(const std::string& why) {
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
    cb_.lost();
  }
  if (!warned_ && !stop_) spdlog::warn("redis {}:{} presence subscription down: {}", host_, port_, why);
  warned_ = true;
}

bool presence_watch::subscribe() {
  timeval tv{1, 0};
  redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (!c || c->err) {
    std::string why = c ? c->errstr : "cannot connect";
    if (c) redisFree(c);
    lose(why);
    return false;
  }
  redisSetTimeout(c, tv);
  redisEnableKeepAlive(c);
  commands_.Increment();
  auto* r = static_cast<redisReply*>(redisCommand(c, "SUBSCRIBE %s", channel_.c_str()));
  bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && is(r->element[0], "subscribe");
  std::string why = !r ? std::string(c->errstr) : "unexpected reply to SUBSCRIBE";
  if (r) freeReplyObject(r);
  if (!ok) {
    redisFree(c);
    lose(why);
    return false;
  }
  ctx_ = c;
  if (warned_) spdlog::info("redis {}:{} presence subscription back", host_, port_);
  warned_ = false;
  cb_.subscribed();
  return true;
}

bool presence_watch::send_ping() {
  commands_.Increment();
  if (redisAppendCommand(ctx_, "PING") != REDIS_OK) return false;
  int done = 0;
  while (!done)
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) return false;
  return true;
}

void presence_watch::read_until_lost() {
  // The PING in flight: when it was sent, or none. One at a time, so the
  // next pong is always its answer.
  constexpr std::int64_t none = -1;
  std::int64_t ping_sent = none;
  std::int64_t next_ping = core::steady_ms();  // at once: the fence starts right after the subscription
  while (!stop_) {
    // Whole replies already read come first; only then wait for the socket.
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK) return lose(ctx_->errstr);
    if (raw) {
      auto* r = static_cast<redisReply*>(raw);
      if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && is(r->element[0], "message") &&
          r->element[2]->type == REDIS_REPLY_STRING) {
        cb_.changed(std::string_view(r->element[2]->str, r->element[2]->len));
      } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && is(r->element[0], "pong") && ping_sent != none) {
        // Every publication sent before this pong has gone to `changed`.
        cb_.fenced(ping_sent);
        ping_sent = none;
      }
      freeReplyObject(r);
      continue;
    }
    auto now = core::steady_ms();
    if (ping_sent == none && now >= next_ping) {
      // The time is taken before sending: Redis handles the PING after it.
      ping_sent = now;
      next_ping = now + timing_.ping_every.count();
      if (!send_ping()) return lose(ctx_->errstr);
    }
    if (ping_sent != none && now - ping_sent > timing_.ping_timeout.count())
      return lose("no answer to PING for " + std::to_string(timing_.ping_timeout.count()) + " ms");
    auto wait = poll_interval.count();
    if (ping_sent == none) wait = std::clamp<std::int64_t>(next_ping - now, 0, wait);
    pollfd p{ctx_->fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(wait));
    if (n < 0 && errno != EINTR) return lose(std::strerror(errno));
    if (n > 0 && redisBufferRead(ctx_) != REDIS_OK) return lose(ctx_->errstr);
  }
}

}  // namespace chorus::cluster
