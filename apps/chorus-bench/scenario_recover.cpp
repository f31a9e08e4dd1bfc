// recover: a sender (one per worker) stores K messages for each of N users
// while they are offline, --window sends in flight; then all N log in at
// once and each sends `sync` once its login is answered. A user is caught up
// when it holds all K; the clock runs from the first login attempt until
// the last user is caught up. The sync response says the server thinks the
// user has everything: a user short at that point counts in
// short_at_sync (its messages may still arrive; loss is judged at the end).
#include "engine.hpp"
#include "scenarios.hpp"

namespace chorus::bench {

results run_recover(const config& c, const ready_fn& ready) {
  engine e(c);
  std::vector<std::size_t> recipients;
  for (std::uint64_t i = 0; i < c.users; ++i) {
    if (!owns(i, c.worker_index, c.worker_count)) continue;
    user u;
    u.id = c.prefix + std::to_string(i);
    u.global_index = i;
    u.login = login_frame({u.id, c.app_id, {}, {}});
    recipients.push_back(e.users.size());
    e.users.push_back(std::move(u));
  }
  const std::size_t sender = e.users.size();
  {
    user s;
    s.id = c.prefix + "s" + std::to_string(std::max(0, c.worker_index));
    s.global_index = c.users + static_cast<std::uint64_t>(std::max(0, c.worker_index));
    s.login = login_frame({s.id, c.app_id, {}, {}});
    e.users.push_back(std::move(s));
  }
  const std::uint64_t n = recipients.size();
  const std::uint64_t total = n * c.messages;
  std::vector<std::string> prefixes;
  for (auto r : recipients) prefixes.push_back(sendmsg_prefix("toUid", e.users[r].id));

  // Phase 1: message j goes to recipient j % n; a new send for every answer.
  std::uint64_t next = 0;
  auto send_next = [&](user& s) {
    if (next >= total) return;
    s.send_prefix = prefixes[next % n];
    ++next;
    e.send_message(s, now_us());
  };
  e.on_login = [&](user& u) {
    if (&u != &e.users[sender]) return;
    for (int k = 0; k < c.window; ++k) send_next(u);
  };
  e.on_answered = [&](user& u, std::uint64_t) {
    if (&u == &e.users[sender]) send_next(u);
  };

  std::uint64_t timeouts = 0;
  e.start();
  e.connect({sender});
  if (!e.wait("fill", [&] { return e.prog.login_failed > 0 || e.prog.answered >= total; }, c.timeout_s)) ++timeouts;

  // Who must get what: message j was for recipient j % n.
  const user& s = e.users[sender];
  for (std::size_t j = 0; j < s.acked_seq.size(); ++j)
    if (s.acked_seq[j] > 0) e.users[recipients[j % n]].expected.push_back(static_cast<std::uint64_t>(s.acked_seq[j]));

  // Phase 2: everyone logs in at once.
  std::uint64_t short_at_sync = 0;  // touched by shard threads: atomic below
  std::atomic<std::uint64_t> short_count{0};
  auto sync = std::make_shared<const std::string>(sync_frame());
  auto mark_if_done = [&](user& u, std::int64_t now) {
    if (u.caught_up_us || u.tracker.unique() < u.expected.size()) return;
    if (u.tracker.missing(u.expected) != 0) return;
    u.caught_up_us = now;
    e.stats(u.shard).hists["catchup"].add(static_cast<std::uint64_t>(now - u.connect_start_us));
    e.prog.done.fetch_add(1);
  };
  e.on_login = [&](user& u) {
    if (&u != &e.users[sender]) e.send(u, sync);
  };
  e.on_message = [&](user& u, const frame_info&, std::int64_t now) { mark_if_done(u, now); };
  e.on_response = [&](user& u, const frame_info& fi) {
    if (fi.action != "sync") return;
    if (fi.code != 200) ++e.stats(u.shard).counters["error_responses"];
    mark_if_done(u, now_us());
    if (!u.caught_up_us) short_count.fetch_add(1, std::memory_order_relaxed);
  };

  results pre;
  ready(pre);
  auto t0 = now_us();
  e.connect(recipients);
  if (!e.wait("recover", [&] { return e.prog.done + e.prog.login_failed >= n; }, c.timeout_s)) ++timeouts;
  double recover_s = static_cast<double>(now_us() - t0) / 1e6;
  short_at_sync = short_count.load();

  results r = e.finish();
  r.merge(pre);
  r.scenario = "recover";
  r.gauges["recover_s"] = recover_s;
  r.gauges["connect_s"] = recover_s;
  r.counters["timeouts"] += timeouts;
  r.counters["users"] = n;
  r.counters["logged_in"] = e.prog.logged_in;
  r.counters["sent"] = s.sched_us.size();
  r.counters["unanswered"] = s.sched_us.size() - s.answered + (total - s.sched_us.size());
  std::uint64_t acked = 0, lost = 0, dup = 0, ooo = 0, delivered = 0, behind = 0, other = 0;
  for (auto i : recipients) {
    const user& u = e.users[i];
    acked += u.expected.size();
    lost += u.tracker.missing(u.expected);
    dup += u.tracker.duplicated();
    ooo += u.tracker.out_of_order();
    delivered += u.tracker.unique();
    other += u.other_conv;
    if (!u.caught_up_us) ++behind;
  }
  r.counters["acked"] = acked;
  r.counters["delivered"] = delivered;
  r.counters["lost"] = lost;
  r.counters["duplicated"] = dup;
  r.counters["out_of_order"] = ooo;
  r.counters["not_caught_up"] = behind;
  r.counters["short_at_sync"] = short_at_sync;
  r.counters["other_conv"] = other;
  return r;
}

}  // namespace chorus::bench
