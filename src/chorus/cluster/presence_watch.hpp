// A second Redis connection, SUBSCRIBEd to the presence-change channel, on
// its own thread: it tells the directory what changed so that the directory
// can drop its cached routes. A subscribed connection can do nothing else,
// hence its own connection and thread. Reads block for at most
// `poll_interval`, so the destructor returns promptly; a lost connection
// (Redis restarted, a read failed) is reported and retried every `retry`.
//
// The callbacks run on the watch's thread, in this order for each
// connection: `subscribed` once the subscription is confirmed (from then on
// every publication reaches `changed`), `changed` per publication, `lost`
// when publications may be missed again. They must not block.
#pragma once

#include <prometheus/counter.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
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
    std::function<void()> lost;
  };
  // `commands` counts what this connection sends (SUBSCRIBE), not what it receives.
  presence_watch(std::string host, int port, std::string channel, std::chrono::milliseconds retry,
                 prometheus::Counter& commands, callbacks cb);
  ~presence_watch();

  static constexpr std::chrono::milliseconds poll_interval{100};

 private:
  void loop();
  bool subscribe();      // connects and subscribes; false (and no connection) on failure
  void read_until_lost();  // delivers publications until the connection fails or stop
  void lose(const std::string& why);
  void pause(std::chrono::milliseconds d);

  std::string host_;
  int port_;
  std::string channel_;
  std::chrono::milliseconds retry_;
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
