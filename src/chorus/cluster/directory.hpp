// The cluster's directory in Redis (the Go system's design, with TTLs):
//   chorus:nodes                    sorted set: "<node id>|<peer host:port>" scored
//                                   by the time its entry expires (ms); each node
//                                   refreshes its own every heartbeat
//   chorus:presence:<len(app)>:<app><user>
//                                   set of node ids holding the user's connections
//                                   (the tail is presence_cache::key: unambiguous
//                                   although ids may contain ':'); a day's TTL,
//                                   refreshed twice a day while the user is online
//   chorus:presence-changed         channel: a user's set changed (payload: the
//                                   presence_cache key), or "*": several did, or
//                                   "#nodes": a node joined or left chorus:nodes
// A node that stops refreshing drops out of the node list after --node-ttl-ms;
// presence entries of a dead node are ignored (only live nodes count) and
// removed when the user's last connection there closes, or expire.
//
// One thread talks to Redis (hiredis, blocking, with timeouts). Public calls
// are thread-safe and never block on Redis: they queue work for that thread.
// Presence writes (SADD, EXPIRE, SREM and their PUBLISH) are pipelined: the
// jobs of one wake-up send theirs in one round trip (a burst of logins), and
// their replies are read before any command whose reply is used and before
// after_pending() runs its callback, so order and "answered" hold.
// While Redis is unreachable the node keeps serving its own users, routes to
// every node it last knew, and says so in healthy()/status().
//
// Routing reads presence through a cache (presence_cache) on that thread.
// Entries live until invalidated: a presence_watch (a second, subscribed
// connection on its own thread) queues a job that drops an entry when its
// user's set changes, and, for each pong to its periodic PING, a job that
// advances the cache's fence. Those jobs share the routing jobs' queue, so
// they run in order with them: a routing job that runs after a fence job
// sees every drop published before that PING. The cache answers only while
// its fence is at most --presence-cache-ms older than the delivery; else
// the lookup asks Redis. While the watch is not subscribed the cache is
// neither read nor filled; when it subscribes again, and when the main
// connection reconnects, the cache is emptied.
#pragma once

#include "chorus/cluster/presence_cache.hpp"
#include "chorus/cluster/presence_watch.hpp"

#include <prometheus/counter.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

struct redisContext;
struct redisReply;

namespace chorus::cluster {

struct node_info {
  unsigned id = 0;
  std::string peer_address;  // host:port of its gRPC peer service
};

struct directory_options {
  std::string host = "127.0.0.1";
  int port = 6379;
  unsigned node_id = 0;
  std::string peer_address;
  int ttl_ms = 5000;
  int heartbeat_ms = 1000;
  // The staleness bound: the cache answers for a delivery only while every
  // change published more than this before it has been applied. 0: no
  // cache, every lookup asks Redis.
  int presence_cache_ms = 500;
  std::size_t presence_cache_max = 100000;  // most users cached at once
  int presence_key_ttl_s = 24 * 3600;       // what crashed nodes leave behind goes after this
};

class directory {
 public:
  using nodes_fn = std::function<void(const std::vector<node_info>&)>;
  using online_fn = std::function<std::vector<std::pair<std::string, std::string>>()>;

  // `on_nodes` is told the live nodes (self excluded) after each heartbeat;
  // `online_users` lists this node's online (app, user) pairs, re-announced
  // after Redis comes back (it may have lost them).
  // `commands`: every Redis command sent; `stale_lookups`: presence sets
  // fetched because the cache's fence lagged more than its bound behind.
  directory(directory_options o, nodes_fn on_nodes, online_fn online_users, prometheus::Counter& commands,
            prometheus::Counter& stale_lookups);
  ~directory();  // removes this node from the list, then stops

  void user_online(const std::string& app, const std::string& user);
  void user_offline(const std::string& app, const std::string& user);
  // Runs `done` on the Redis thread once every call made before this one has
  // been carried out (user_online: its SADD and PUBLISH have been answered),
  // or found Redis down.
  void after_pending(std::function<void()> done);
  // Runs `job` with the ids of the live nodes that hold any of `users` (of
  // `app`), or with all live nodes if Redis cannot say: on the caller's
  // thread when the presence cache knows every one of them and no route is
  // queued, else on the Redis thread. Either way, the jobs of one caller's
  // thread run in the order of its calls.
  void nodes_of(std::string app, std::vector<std::string> users,
                std::function<void(const std::vector<unsigned>&)> job);
  // Runs `job` with every live node but this one (on the caller's thread
  // unless a route is queued, as above).
  void all_nodes(std::function<void(const std::vector<unsigned>&)> job);

  // How long after a user's presence change was published a delivery (by
  // the time it was handed to nodes_of) may still be routed as if it had
  // not happened: the cache's bound, plus the millisecond the clock's
  // rounding may add to it (0 without a cache).
  std::chrono::milliseconds route_staleness() const {
    return std::chrono::milliseconds(opt_.presence_cache_ms > 0 ? opt_.presence_cache_ms + 1 : 0);
  }

  // How often the watch PINGs to advance the fence: a fifth of the bound
  // (10 ms to 1 s), so the fence is normally well within it.
  static std::chrono::milliseconds ping_interval(std::chrono::milliseconds bound);

  bool healthy() const;
  std::string status() const;  // one line for /readyz

 private:
  using job = std::function<void(redisContext*)>;  // nullptr: Redis is down
  void submit(job j);
  void submit_route(job j);
  void loop();
  bool ensure_connected();
  void heartbeat();
  // Reads the live nodes (self excluded) into live_ and tells on_nodes_.
  void refresh_nodes(redisContext* c);
  void refresh_key_ttls();
  // Half a presence key's TTL: how long after its TTLs were set the next
  // refresh round starts.
  std::int64_t ttl_refresh_every_ms() const { return std::int64_t{opt_.presence_key_ttl_s} * 1000 / 2; }
  void drop_connection(const char* why);
  void announce(redisContext* c, const std::string& app, const std::string& user);
  void start_watch();
  bool cache_trusted() const;  // under cache_mu_
  struct route_done;
  // The route from the cache alone, if it knows every user (under cache_mu_).
  bool route_from_cache(const std::string& app, const std::vector<std::string>& users, std::int64_t handed_over,
                        std::vector<unsigned>& out);
  static void add_live(const std::vector<unsigned>& ids, const std::vector<unsigned>& live,
                       std::vector<unsigned>& out);
  struct reply_deleter {
    void operator()(redisReply* r) const noexcept;
  };
  using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;
  // Runs one command on `c`, counted; empty if the connection failed.
  // Waits for the replies of what was pipelined first, so replies match.
  template <class... Args>
  reply_ptr command(redisContext* c, const char* fmt, Args... args);
  // Queues one command whose reply nobody reads (counted): sent with the
  // next command() or drain(), in order with everything else on `c`.
  template <class... Args>
  void pipeline(redisContext* c, const char* fmt, Args... args);
  // Sends what was pipelined and reads its replies, then runs the
  // after_pending() callbacks waiting for them (run_answered); false if the
  // connection failed (the caller drops it).
  bool drain(redisContext* c);
  void run_answered();
  std::vector<unsigned> live_ids() const;

  directory_options opt_;
  nodes_fn on_nodes_;
  online_fn online_users_;
  prometheus::Counter& commands_;  // every Redis command sent (chorus_redis_commands_total)
  prometheus::Counter& stale_lookups_;  // chorus_presence_stale_lookups_total

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job> jobs_;
  bool stopping_ = false;
  std::vector<node_info> live_;  // self excluded
  bool healthy_ = false;
  std::string last_error_;

  redisContext* ctx_ = nullptr;  // the Redis thread's only
  std::size_t pipelined_ = 0;    // replies owed on ctx_ for pipeline()d commands
  // after_pending() callbacks waiting for those replies (run by drain(), and
  // at the end of each wake-up whatever became of them).
  std::vector<std::function<void()>> answered_;
  // The presence cache: changed on the Redis thread only, read by routes
  // taken on their callers' threads too (nodes_of), all under cache_mu_.
  mutable std::mutex cache_mu_;
  presence_cache cache_;
  // Routing jobs queued on the Redis thread and not yet run to their end.
  std::atomic<int> routes_queued_{0};
  // The key TTL refresh (the Redis thread's only): users still to refresh
  // in this round, and when the next round starts (steady ms).
  std::vector<std::pair<std::string, std::string>> ttl_refresh_;
  std::int64_t next_ttl_refresh_ms_ = 0;
  // Bumped by the watch's thread on every subscription and every loss; the
  // cache is trusted while it equals trusted_gen_, the generation whose
  // subscription emptied the cache (set on the Redis thread).
  std::atomic<std::uint64_t> watch_gen_{0};
  std::uint64_t trusted_gen_ = ~std::uint64_t{0};  // under cache_mu_
  std::thread thread_;
  std::unique_ptr<presence_watch> watch_;  // after thread_: its callbacks queue jobs
};

}  // namespace chorus::cluster
