#include "chorus/cluster/directory.hpp"

#include "chorus/core/clock.hpp"
#include "chorus/core/thread_name.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <utility>

namespace chorus::cluster {

namespace {
constexpr const char* nodes_key = "chorus:nodes";
constexpr const char* changed_channel = "chorus:presence-changed";
constexpr const char* changed_all = "*";  // several users changed (never a cache key: those start with a digit)
constexpr const char* changed_nodes = "#nodes";  // a node joined or left the list (nor is this)
constexpr std::size_t ttl_refresh_batch = 100;  // EXPIREs per heartbeat while a refresh round runs

// "chorus:presence:<len(app)>:<app><user>": with ':' allowed in ids,
// "<app>:<user>" would give ("a:b", "c") and ("a", "b:c") one key.
std::string presence_key(const std::string& app, const std::string& user) {
  return "chorus:presence:" + presence_cache::key(app, user);
}

}  // namespace

void directory::reply_deleter::operator()(redisReply* r) const noexcept { freeReplyObject(r); }

template <class... Args>
directory::reply_ptr directory::command(redisContext* c, const char* fmt, Args... args) {
  if (!drain(c)) return nullptr;
  commands_.Increment();
  return reply_ptr(static_cast<redisReply*>(redisCommand(c, fmt, args...)));
}

template <class... Args>
void directory::pipeline(redisContext* c, const char* fmt, Args... args) {
  commands_.Increment();
  if (redisAppendCommand(c, fmt, args...) == REDIS_OK) ++pipelined_;
}

bool directory::drain(redisContext* c) {
  bool ok = true;
  for (; pipelined_ > 0; --pipelined_) {
    void* r = nullptr;
    if (redisGetReply(c, &r) != REDIS_OK) {
      pipelined_ = 0;
      ok = false;
      break;
    }
    freeReplyObject(r);
  }
  run_answered();
  return ok;
}

void directory::run_answered() {
  for (auto& done : std::exchange(answered_, {})) done();
}

directory::directory(directory_options o, nodes_fn on_nodes, online_fn online_users, prometheus::Counter& commands,
                     prometheus::Counter& stale_lookups)
    : opt_(std::move(o)),
      on_nodes_(std::move(on_nodes)),
      online_users_(std::move(online_users)),
      commands_(commands),
      stale_lookups_(stale_lookups),
      cache_(std::chrono::milliseconds(opt_.presence_cache_ms), opt_.presence_cache_max) {
  next_ttl_refresh_ms_ = core::steady_ms() + ttl_refresh_every_ms();
  thread_ = std::thread([this] {
    core::name_this_thread("redis-dir");
    loop();
  });
  if (cache_.enabled()) start_watch();
}

std::chrono::milliseconds directory::ping_interval(std::chrono::milliseconds bound) {
  return std::clamp(bound / 5, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
}

void directory::start_watch() {
  presence_watch::callbacks cb;
  cb.subscribed = [this] {
    // Entries fetched before now may have missed a change: start empty. And
    // fresh only once this subscription's first pong is in.
    auto gen = ++watch_gen_;
    submit([this, gen](redisContext* c) {
      {
        std::lock_guard lock(cache_mu_);
        cache_.clear();
        cache_.unfence();
        trusted_gen_ = gen;
      }
      // A node that joined while this node was not listening said so unheard.
      if (c) refresh_nodes(c);
    });
  };
  cb.fenced = [this](std::int64_t sent_ms) {
    // Queued after the drops of every publication received before the pong,
    // so it runs after them. The generation is this subscription's: the
    // watch's thread is the only one to change it.
    auto gen = watch_gen_.load();
    submit([this, gen, sent_ms](redisContext*) {
      std::lock_guard lock(cache_mu_);
      if (gen == trusted_gen_) cache_.fence(sent_ms);
    });
  };
  cb.lost = [this] { ++watch_gen_; };  // untrusted at once, before any job runs
  cb.changed = [this](std::string_view payload) {
    if (payload == changed_all)
      return submit([this](redisContext*) {
        std::lock_guard lock(cache_mu_);
        cache_.clear();
      });
    if (payload == changed_nodes)
      return submit([this](redisContext* c) {
        if (c) refresh_nodes(c);
      });
    submit([this, k = std::string(payload)](redisContext*) {
      std::lock_guard lock(cache_mu_);
      cache_.drop(k);
    });
  };
  presence_watch::timing t;
  t.retry = std::chrono::milliseconds(opt_.heartbeat_ms);
  t.ping_every = ping_interval(cache_.bound());
  // As long as a silent node takes to drop out of the registry; meanwhile
  // the stale fence already makes lookups bypass the cache.
  t.ping_timeout = std::max(std::chrono::milliseconds(opt_.ttl_ms), 2 * t.ping_every);
  watch_ = std::make_unique<presence_watch>(opt_.host, opt_.port, changed_channel, t, commands_, std::move(cb));
}

bool directory::cache_trusted() const { return cache_.enabled() && trusted_gen_ == watch_gen_.load(); }

directory::~directory() {
  watch_.reset();  // its callbacks queue jobs: it stops first
  // Leave the list now rather than after the TTL: peers stop routing here.
  submit([this](redisContext* c) {
    if (!c) return;
    auto member = std::to_string(opt_.node_id) + "|" + opt_.peer_address;
    command(c, "ZREM %s %s", nodes_key, member.c_str());
    command(c, "PUBLISH %s %s", changed_channel, changed_nodes);
  });
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (ctx_) redisFree(ctx_);
}

void directory::submit(job j) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(j));
  }
  cv_.notify_one();
}

void directory::announce(redisContext* c, const std::string& app, const std::string& user) {
  auto key = presence_key(app, user);
  auto id = std::to_string(opt_.node_id);
  pipeline(c, "SADD %s %s", key.c_str(), id.c_str());
  pipeline(c, "EXPIRE %s %d", key.c_str(), opt_.presence_key_ttl_s);
}

void directory::user_online(const std::string& app, const std::string& user) {
  submit([this, app, user](redisContext* c) {
    if (!c) return;  // re-announced when Redis returns
    announce(c, app, user);
    // After the change, so that a node that drops its entry and asks again sees it.
    pipeline(c, "PUBLISH %s %s", changed_channel, presence_cache::key(app, user).c_str());
  });
}

void directory::user_offline(const std::string& app, const std::string& user) {
  submit([this, app, user](redisContext* c) {
    if (!c) return;
    pipeline(c, "SREM %s %s", presence_key(app, user).c_str(), std::to_string(opt_.node_id).c_str());
    pipeline(c, "PUBLISH %s %s", changed_channel, presence_cache::key(app, user).c_str());
  });
}

void directory::after_pending(std::function<void()> done) {
  submit([this, done = std::move(done)](redisContext* c) {
    // "Answered": it runs when what was pipelined before has been read (a
    // failure shows in c->err, which the loop handles after this job). Not
    // a round trip of its own: a burst of logins waits for one.
    if (!c || pipelined_ == 0) return done();
    answered_.push_back(std::move(done));
  });
}

// Every routing job ends with this: the count of those queued, which
// decides whether the next route may be taken on its caller's thread.
struct directory::route_done {
  std::atomic<int>& queued;
  ~route_done() { queued.fetch_sub(1, std::memory_order_release); }
};

// A routing job: counted from before it is queued until it has run (its
// route_done), so a route asked for meanwhile queues behind it.
void directory::submit_route(job j) {
  routes_queued_.fetch_add(1, std::memory_order_acq_rel);
  try {
    submit(std::move(j));
  } catch (...) {
    routes_queued_.fetch_sub(1, std::memory_order_release);  // not queued: it never runs
    throw;
  }
}

void directory::nodes_of(std::string app, std::vector<std::string> users,
                         std::function<void(const std::vector<unsigned>&)> done) {
  // Taken now, just after the delivery's commit: the cache answers only if
  // every change published more than the bound before this has been
  // dropped (presence_cache::fresh), however long the job waits in the queue.
  auto handed_over = core::steady_ms();
  // The cache answers on the caller's thread, without a hop to the Redis
  // thread, unless a route is queued there: it must be sent first (a
  // conversation's deliveries reach a peer in commit order).
  if (routes_queued_.load(std::memory_order_acquire) == 0) {
    std::vector<unsigned> out;
    if (route_from_cache(app, users, handed_over, out)) return done(out);
  }
  submit_route([this, handed_over, app = std::move(app), users = std::move(users), done = std::move(done)](redisContext* c) {
    route_done counted{routes_queued_};
    auto live = live_ids();
    if (!c) return done(live);
    bool cached, stale;
    {
      std::lock_guard lock(cache_mu_);
      cached = cache_trusted();
      stale = cached && !cache_.fresh(handed_over);
    }
    std::vector<unsigned> out, fetched;
    for (auto& u : users) {
      fetched.clear();
      bool found = false;
      if (cached) {
        std::lock_guard lock(cache_mu_);
        if (auto* ids = cache_.find(app, u, handed_over)) {
          fetched = *ids;
          found = true;
        }
      }
      if (!found) {
        if (stale) stale_lookups_.Increment();
        auto r = command(c, "SMEMBERS %s", presence_key(app, u).c_str());
        if (!r) return done(live);  // the connection failed: route everywhere
        if (r->type != REDIS_REPLY_ARRAY) continue;
        for (std::size_t i = 0; i < r->elements; ++i)
          fetched.push_back(static_cast<unsigned>(std::strtoul(r->element[i]->str, nullptr, 10)));
        if (cached) {
          std::lock_guard lock(cache_mu_);
          cache_.put(app, u, fetched);
        }
      }
      add_live(fetched, live, out);
    }
    done(out);
  });
}

bool directory::route_from_cache(const std::string& app, const std::vector<std::string>& users,
                                 std::int64_t handed_over, std::vector<unsigned>& out) {
  auto live = live_ids();
  std::lock_guard lock(cache_mu_);
  if (!cache_trusted()) return false;
  for (auto& u : users) {
    auto* ids = cache_.find(app, u, handed_over);
    if (!ids) return false;
    add_live(*ids, live, out);
  }
  return true;
}

// Nodes are filtered here, not when cached: the live list changes every heartbeat.
void directory::add_live(const std::vector<unsigned>& ids, const std::vector<unsigned>& live,
                         std::vector<unsigned>& out) {
  for (auto id : ids)
    if (std::find(live.begin(), live.end(), id) != live.end() && std::find(out.begin(), out.end(), id) == out.end())
      out.push_back(id);
}

void directory::all_nodes(std::function<void(const std::vector<unsigned>&)> done) {
  if (routes_queued_.load(std::memory_order_acquire) == 0) return done(live_ids());
  submit_route([this, done = std::move(done)](redisContext*) {
    route_done counted{routes_queued_};
    done(live_ids());
  });
}

std::vector<unsigned> directory::live_ids() const {
  std::lock_guard lock(mu_);
  std::vector<unsigned> ids;
  for (auto& n : live_) ids.push_back(n.id);
  return ids;
}

bool directory::healthy() const {
  std::lock_guard lock(mu_);
  return healthy_;
}

std::string directory::status() const {
  std::lock_guard lock(mu_);
  if (healthy_) return "redis ok, " + std::to_string(live_.size()) + " peer node(s)";
  if (last_error_.empty()) return "connecting to redis; serving local users";
  return "degraded: redis unreachable (" + last_error_ + "); serving local users, routing to " +
         std::to_string(live_.size()) + " last known peer node(s)";
}


void directory::drop_connection(const char* why) {
  std::string err = ctx_ && ctx_->err ? ctx_->errstr : why;
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
  pipelined_ = 0;
  std::lock_guard lock(mu_);
  if (healthy_) spdlog::warn("redis {}:{} lost: {}; serving local users only", opt_.host, opt_.port, err);
  healthy_ = false;
  last_error_ = err;
}

bool directory::ensure_connected() {
  if (ctx_) return true;
  timeval tv{1, 0};
  ctx_ = redisConnectWithTimeout(opt_.host.c_str(), opt_.port, tv);
  if (!ctx_ || ctx_->err) {
    drop_connection("cannot connect");
    return false;
  }
  redisSetTimeout(ctx_, tv);
  // What was cached before may have changed unseen while we were away.
  {
    std::lock_guard lock(cache_mu_);
    cache_.clear();
  }
  // Redis may have restarted empty: announce who is here again, and make
  // the other nodes forget what they cached meanwhile.
  auto online = online_users_();
  for (auto& [app, user] : online) announce(ctx_, app, user);
  if (!online.empty()) command(ctx_, "PUBLISH %s %s", changed_channel, changed_all);
  // Every key's TTL was just set: the next refresh round is half a TTL away.
  ttl_refresh_.clear();
  next_ttl_refresh_ms_ = core::steady_ms() + ttl_refresh_every_ms();
  std::lock_guard lock(mu_);
  spdlog::info("redis {}:{} connected", opt_.host, opt_.port);
  healthy_ = true;
  last_error_.clear();
  return true;
}

void directory::heartbeat() {
  auto now = core::unix_ms();
  auto member = std::to_string(opt_.node_id) + "|" + opt_.peer_address;
  auto expires = std::to_string(now + opt_.ttl_ms);
  auto now_s = std::to_string(now);
  auto added = command(ctx_, "ZADD %s %s %s", nodes_key, expires.c_str(), member.c_str());
  if (!added || !command(ctx_, "ZREMRANGEBYSCORE %s -inf %s", nodes_key, now_s.c_str()))
    return drop_connection("heartbeat failed");
  // New in the list (first heartbeat, or back after dropping out): the other
  // nodes learn it now rather than at their next heartbeat, so that none
  // routes one of this node's users by a list without it.
  if (added->type == REDIS_REPLY_INTEGER && added->integer == 1 &&
      !command(ctx_, "PUBLISH %s %s", changed_channel, changed_nodes))
    return drop_connection("heartbeat failed");
  refresh_nodes(ctx_);
  if (ctx_->err) drop_connection("heartbeat failed");
}

void directory::refresh_nodes(redisContext* c) {
  auto now_s = std::to_string(core::unix_ms());
  auto r = command(c, "ZRANGEBYSCORE %s %s +inf", nodes_key, now_s.c_str());
  if (!r) return;  // the caller sees c->err
  std::vector<node_info> live;
  if (r->type == REDIS_REPLY_ARRAY) {
    for (std::size_t i = 0; i < r->elements; ++i) {
      std::string m(r->element[i]->str, r->element[i]->len);
      auto bar = m.find('|');
      if (bar == std::string::npos) continue;
      node_info n{static_cast<unsigned>(std::strtoul(m.c_str(), nullptr, 10)), m.substr(bar + 1)};
      if (n.id != opt_.node_id) live.push_back(std::move(n));
    }
  }
  {
    std::lock_guard lock(mu_);
    live_ = live;
  }
  on_nodes_(live);
}

// A user connected for longer than the presence key's TTL would become
// unroutable: every half TTL this node sets its online users' TTLs again, a
// batch per heartbeat (pipelined), from a snapshot of who is online. A user
// who logs in meanwhile got a full TTL at login.
void directory::refresh_key_ttls() {
  if (ttl_refresh_.empty()) {
    auto now = core::steady_ms();
    if (now < next_ttl_refresh_ms_) return;
    next_ttl_refresh_ms_ = now + ttl_refresh_every_ms();
    ttl_refresh_ = online_users_();
  }
  auto n = std::min(ttl_refresh_.size(), ttl_refresh_batch);
  for (auto i = ttl_refresh_.size() - n; i < ttl_refresh_.size(); ++i) {
    auto key = presence_key(ttl_refresh_[i].first, ttl_refresh_[i].second);
    pipeline(ctx_, "EXPIRE %s %d", key.c_str(), opt_.presence_key_ttl_s);
  }
  if (!drain(ctx_)) return drop_connection("refreshing presence TTLs failed");
  ttl_refresh_.resize(ttl_refresh_.size() - n);
}

void directory::loop() {
  auto next_beat = core::steady_ms();
  for (;;) {
    std::deque<job> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(std::max<std::int64_t>(0, next_beat - core::steady_ms())),
                   [&] { return stopping_ || !jobs_.empty(); });
      batch.swap(jobs_);
      if (stopping_ && batch.empty()) return;
    }
    bool up = ensure_connected();
    for (auto& j : batch) {
      j(up ? ctx_ : nullptr);
      if (up && ctx_ && ctx_->err) {
        drop_connection("command failed");
        up = false;
      }
    }
    // What the batch pipelined (presence changes and their publications,
    // a burst of logins' in one round trip) goes out now.
    if (up && ctx_ && !drain(ctx_)) {
      drop_connection("command failed");
      up = false;
    }
    run_answered();  // also when Redis failed: nothing more will be answered
    if (core::steady_ms() >= next_beat) {
      if (up) heartbeat();
      if (up && ctx_) refresh_key_ttls();
      next_beat = core::steady_ms() + opt_.heartbeat_ms;
    }
  }
}

}  // namespace chorus::cluster
