// The machinery every scenario shares: one io_context per thread ("shard"),
// the users (one connection each) spread over the shards, connecting with a
// bound on handshakes in flight, the login and sendmsg bookkeeping, an
// open-loop pacer, heartbeats, and a controller loop on the main thread that
// waits for a phase to finish, prints progress once a second and enforces
// the timeout. Per-user state is touched only by its shard's thread until
// the threads are joined; shared progress is relaxed atomics.
#pragma once

#include "connection.hpp"

#include "chorus/bench/config.hpp"
#include "chorus/bench/conv_tracker.hpp"
#include "chorus/bench/frames.hpp"
#include "chorus/bench/results.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace chorus::bench {

std::int64_t now_us();

struct user {
  std::string id;
  std::uint64_t global_index = 0;  // picks the source address
  int shard = 0;
  std::string login;               // prebuilt login frame
  std::shared_ptr<connection> conn;
  std::int64_t connect_start_us = 0;
  bool handshaking = false;  // connecting or waiting for the login response
  bool logged_in = false;

  // As a sender: the request seq is the index into these.
  std::string send_prefix;                 // frames::sendmsg_prefix
  std::vector<std::int64_t> sched_us;      // when each send was due
  std::vector<std::int64_t> acked_seq;     // its convSeq once stored; -1 until then / on error
  std::uint64_t answered = 0;

  // As a receiver: its one conversation.
  std::string conv;
  conv_tracker tracker;
  std::vector<std::uint64_t> expected;  // convSeqs it must get; filled after the run
  std::uint64_t other_conv = 0;          // pushes of an unexpected conversation
  std::int64_t caught_up_us = 0;         // recover: when it had everything
};

struct progress {
  std::atomic<std::uint64_t> logged_in{0}, login_failed{0}, sent{0}, answered{0}, errors{0},
      expected{0}, done{0}, closed{0}, pacers_done{0}, timeouts{0};
};

class engine {
 public:
  explicit engine(const config& c);
  ~engine();

  const config& cfg;
  std::vector<user> users;  // filled by the scenario before start()
  progress prog;

  // Scenario hooks, called on the user's shard.
  std::function<void(user&)> on_login;
  std::function<void(user&, const frame_info&, std::int64_t now)> on_message;  // after the order check
  std::function<void(user&, const frame_info&)> on_response;                  // other than login/sendmsg/heartbeat
  std::function<void(user&, std::uint64_t seq)> on_answered;                  // a sendmsg was answered
  std::function<std::uint64_t(const user&)> expected_per_ack;                 // deliveries one ack promises
  // Whether a user may be pushed its own messages (a room's sender is a
  // member; a one-to-one sender is answered, never pushed: counted in
  // `own_pushes` and not as a delivery).
  bool own_pushes_expected = true;

  int shards() const { return static_cast<int>(ios_.size()); }
  // Messages delivered in order so far, over all shards (counted per shard).
  std::uint64_t delivered() const;
  results& stats(int shard) { return stats_[static_cast<std::size_t>(shard)]; }

  void start();
  // Connects and logs in `which` (indices into users), at most
  // cfg.concurrency handshakes in flight; with cfg.connect_rate, each
  // shard starts its share on a schedule (open loop) and a handshake's
  // latency counts from when it was due. Returns at once.
  void connect(const std::vector<std::size_t>& which);
  // Polls `done` every 10 ms until it holds, `seconds` pass or the run's
  // timeout does; a progress line on stderr every second. False on timeout.
  // report_timeout=false: running out of time is the normal end (a hold).
  bool wait(const char* phase, const std::function<bool()>& done, double seconds, bool report_timeout = true);
  void post(int shard, std::function<void()> fn);

  void send(user& u, std::shared_ptr<const std::string> frame);
  // The next sendmsg of `u`, due at `sched_us` (its content carries it).
  void send_message(user& u, std::int64_t sched_us);
  // Open loop: `rate` msgs/s in total over `senders` for `seconds`, on a
  // 1 ms timer schedule, never waiting for answers; prog.pacers_done counts
  // the shards that finished.
  void pace(const std::vector<std::size_t>& senders, double rate, double seconds);
  // A heartbeat for every logged-in user every cfg.heartbeat_s, spread out.
  void heartbeats();

  // Closes every connection, stops the threads, merges the shard stats.
  results finish();
  double since_start_s() const;

 private:
  struct shard_state;
  void start_next(int shard);
  void start_one(int shard, std::size_t i, std::int64_t due_us);
  void end_handshake(user& u);
  void on_frame(std::size_t i, std::string_view f);
  void on_login_response(user& u, const frame_info& fi);
  void on_sendmsg_response(user& u, const frame_info& fi);
  void print_progress(const char* phase);

  std::vector<std::unique_ptr<shard_state>> ios_;
  std::vector<std::thread> threads_;
  std::vector<results> stats_;
  std::shared_ptr<const std::string> heartbeat_;
  std::int64_t start_us_ = 0;
  double deadline_s_ = 0;
  bool stopped_ = false;
};

}  // namespace chorus::bench
