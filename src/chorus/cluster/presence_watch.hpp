// A second Redis connection, SUBSCRIBEd to the presence-change channel, on
// its own thread: it tells the directory what changed so that the directory
// can drop its cached routes. A subscribed connection can do nothing else
// (but PING), hence its own connection and thread. Reads block for at most
// `poll_interval`, so the destructor returns promptly; a lost connection
// (Redis restarted, a read failed) is reported and retried every `retry`.
//
// The fence: every `ping_every` the watch sends PING on the subscribed
// connection (one at a time) and, when its pong arrives, reports when that
// PING was sent. Redis answers a subscriber's PING in order with the
// publications it sends it, so by then every publication Redis handled
// before the PING was sent has been passed to `changed`. A PING unanswered
// for `ping_timeout` counts as a lost connection (a silent network failure).
//
// The callbacks run on the watch's thread, in this order for each
// connection: `subscribed` once the subscription is confirmed (from then on
// every publication reaches `changed`), `changed` per publication and
// `fenced` per pong, in the order Redis sent them, `lost` when publications
// may be missed again. They must not block.
#pragma once

#include <prometheus/counter.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

struct redisContext;

namespace chorus::cluster {

class presence_watch {
 public:
  struct callbacks {
    std::function<void()> subscribed;
    std::function<void(std::string_view payload)> changed;
    // Every publication Redis handled before `sent_ms` (steady clock) has
    // been passed to `changed`.
    std::function<void(std::int64_t sent_ms)> fenced;
    std::function<void()> lost;
  };
  struct timing {
    std::chrono::milliseconds retry{1000};         // between attempts to subscribe
    std::chrono::milliseconds ping_every{100};     // from one PING to the next (one in flight at most)
    std::chrono::milliseconds ping_timeout{5000};  // a PING unanswered this long: the connection is lost
  };
  // `commands` counts what this connection sends (SUBSCRIBE, PING), not what it receives.
  presence_watch(std::string host, int port, std::string channel, timing t, prometheus::Counter& commands,
                 callbacks cb);
  ~presence_watch();

  static constexpr std::chrono::milliseconds poll_interval{100};

 private:
  void loop();
  bool subscribe();      // connects and subscribes; false (and no connection) on failure
  void read_until_lost();  // delivers publications and pongs until the connection fails or stop
  bool send_ping();
  void lose(const std::string& why);
  void pause(std::chrono::milliseconds d);

  std::string host_;
  int port_;
  std::string channel_;
  timing timing_;
  prometheus::Counter& commands_;
  callbacks cb_;

  std::mutex mu_;  // only for pause() to wake up at stop
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};  // set under mu_
  bool warned_ = false;            // the loss was logged; quiet until subscribed again

  redisContext* ctx_ = nullptr;  // the watch thread's only
  std::thread thread_;
};

}  // namespace chorus::cluster
