// The cluster's directory in Redis (the Go system's design, with TTLs):
//   chorus:nodes                    sorted set: "<node id>|<peer host:port>" scored
//                                   by the time its entry expires (ms); each node
//                                   refreshes its own every heartbeat
//   chorus:presence:<app>:<user>    set of node ids holding the user's connections
// A node that stops refreshing drops out of the node list after --node-ttl-ms;
// presence entries of a dead node are ignored (only live nodes count) and
// removed when the user's last connection there closes.
//
// One thread talks to Redis (hiredis, blocking, with timeouts). Public calls
// are thread-safe and never block on Redis: they queue work for that thread.
// While Redis is unreachable the node keeps serving its own users, routes to
// every node it last knew, and says so in healthy()/status().
#pragma once

#include <prometheus/counter.h>

#include <condition_variable>
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
};

class directory {
 public:
  using nodes_fn = std::function<void(const std::vector<node_info>&)>;
  using online_fn = std::function<std::vector<std::pair<std::string, std::string>>()>;

  // `on_nodes` is told the live nodes (self excluded) after each heartbeat;
  // `online_users` lists this node's online (app, user) pairs, re-announced
  // after Redis comes back (it may have lost them).
  directory(directory_options o, nodes_fn on_nodes, online_fn online_users, prometheus::Counter& commands);
  ~directory();  // removes this node from the list, then stops

  void user_online(const std::string& app, const std::string& user);
  void user_offline(const std::string& app, const std::string& user);
  // Runs `job` on the Redis thread with the ids of the live nodes that hold
  // any of `users` (of `app`), or with all live nodes if Redis cannot say.
  void nodes_of(std::string app, std::vector<std::string> users,
                std::function<void(const std::vector<unsigned>&)> job);
  // Runs `job` on the Redis thread with every live node but this one.
  void all_nodes(std::function<void(const std::vector<unsigned>&)> job);

  bool healthy() const;
  std::string status() const;  // one line for /readyz

 private:
  using job = std::function<void(redisContext*)>;  // nullptr: Redis is down
  void submit(job j);
  void loop();
  bool ensure_connected();
  void heartbeat();
  void drop_connection(const char* why);
  struct reply_deleter {
    void operator()(redisReply* r) const noexcept;
  };
  using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;
  // Runs one command on `c`, counted; empty if the connection failed.
  template <class... Args>
  reply_ptr command(redisContext* c, const char* fmt, Args... args);
  std::vector<unsigned> live_ids() const;

  directory_options opt_;
  nodes_fn on_nodes_;
  online_fn online_users_;
  prometheus::Counter& commands_;  // every Redis command sent (chorus_redis_commands_total)

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job> jobs_;
  bool stopping_ = false;
  std::vector<node_info> live_;  // self excluded
  bool healthy_ = false;
  std::string last_error_;

  redisContext* ctx_ = nullptr;  // the Redis thread's only
  std::thread thread_;
};

}  // namespace chorus::cluster
