// Node-wide counters for /metrics (Prometheus text format). Relaxed atomics:
// any thread bumps them, the metrics page reads them; exactness across
// counters is not needed.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace chorus::chat {

struct metrics {
  using counter = std::atomic<std::uint64_t>;
  std::atomic<std::int64_t> connections{0};  // open WebSocket sessions
  counter connections_total{0};
  counter http_requests{0};
  counter frames_in{0};
  counter frames_out{0};
  counter messages_stored{0};
  counter messages_duplicate{0};
  counter pushes{0};            // message and event frames queued to sessions
  counter sync_messages{0};     // messages sent by sync rounds
  counter errors{0};            // error responses
  counter rate_limited{0};
  counter slow_consumer_closes{0};
  counter idle_closes{0};
  counter accept_errors{0};

  static void inc(counter& c, std::uint64_t n = 1) noexcept { c.fetch_add(n, std::memory_order_relaxed); }
  // Appends this struct's series in Prometheus text format.
  void render(std::string& out) const;
};

}  // namespace chorus::chat
