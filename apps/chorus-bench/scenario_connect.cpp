// connect: N users log in and stay idle (heartbeats only) for --hold
// seconds; the handshake rate and latency, and the server's RSS growth.
#include "engine.hpp"
#include "scenarios.hpp"

#include "chorus/bench/proc_stats.hpp"

#include <optional>

namespace chorus::bench {

results run_connect(const config& c, const ready_fn& ready) {
  engine e(c);
  for (std::uint64_t i = 0; i < c.connections; ++i) {
    if (!owns(i, c.worker_index, c.worker_count)) continue;
    user u;
    u.id = c.prefix + std::to_string(i);
    u.global_index = i;
    u.login = login_frame({u.id, c.app_id, {}, {}});
    e.users.push_back(std::move(u));
  }
  std::vector<std::size_t> all(e.users.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  std::uint64_t n = all.size();

  e.start();
  auto t0 = now_us();
  e.connect(all);
  e.heartbeats();
  e.wait("connect", [&] { return e.prog.logged_in + e.prog.login_failed >= n; }, c.timeout_s);
  double connect_s = static_cast<double>(now_us() - t0) / 1e6;

  results pre;
  ready(pre);
  e.wait("hold", [] { return false; }, c.hold_s, false);
  // And again at the end of the hold: the steady state, after the server
  // has had time to give back what the handshakes used.
  std::optional<double> held;
  if (c.server_pid > 0 && !c.is_worker()) held = read_rss_kib(c.server_pids);

  results r = e.finish();
  r.merge(pre);
  if (held) r.gauges["rss_held_kib"] = *held;
  r.scenario = "connect";
  r.gauges["connect_s"] = connect_s;
  r.gauges["hold_s"] = c.hold_s;
  r.counters["connections"] = n;
  r.counters["logged_in"] = e.prog.logged_in;
  return r;
}

}  // namespace chorus::bench
