// direct and room: senders at a fixed total open-loop rate; every receiver
// checks each conversation's convSeq; latency send->ack and send->delivery.
//   direct: pair p is users 2p (sends) and 2p+1 (receives)
//   room:   room r is groupsId <prefix>r<r>, members r*M .. r*M+M-1, the
//           first S of them send; every member (senders too) receives all
#include "engine.hpp"
#include "scenarios.hpp"

#include <map>

namespace chorus::bench {

namespace {

struct plan {
  std::vector<std::size_t> senders;
  // receivers of each sender group (a pair or a room), by group
  std::map<std::uint64_t, std::vector<std::size_t>> group_senders, group_receivers;
  std::uint64_t fanout = 1;
};

results run_messages(const config& c, const ready_fn& ready, engine& e, plan& p, double rate_share) {
  std::vector<std::size_t> all(e.users.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  std::uint64_t n = all.size();
  e.expected_per_ack = [f = p.fanout](const user&) { return f; };

  std::uint64_t timeouts = 0;
  e.start();
  auto t0 = now_us();
  e.connect(all);
  if (c.duration_s + c.drain_s > 60) e.heartbeats();
  if (!e.wait("login", [&] { return e.prog.logged_in + e.prog.login_failed >= n; }, c.timeout_s)) ++timeouts;
  double connect_s = static_cast<double>(now_us() - t0) / 1e6;

  results pre;
  ready(pre);
  auto send_t0 = now_us();
  e.pace(p.senders, rate_share, c.duration_s);
  auto shards = static_cast<std::uint64_t>(e.shards());
  if (!e.wait("send", [&] { return e.prog.pacers_done >= shards; }, c.duration_s + 5)) ++timeouts;
  double send_s = static_cast<double>(now_us() - send_t0) / 1e6;
  e.wait("drain", [&] {
    return e.prog.answered >= e.prog.sent && e.delivered() >= e.prog.expected;
  }, c.drain_s, false);
  double run_s = static_cast<double>(now_us() - send_t0) / 1e6;

  results r = e.finish();
  r.merge(pre);
  r.gauges["connect_s"] = connect_s;
  r.gauges["send_s"] = send_s;
  r.gauges["run_s"] = run_s;
  r.counters["timeouts"] += timeouts;
  r.counters["connections"] = n;
  r.counters["logged_in"] = e.prog.logged_in;

  // Judge every receiver against what its group's senders were told was stored.
  std::uint64_t sent = 0, acked = 0, answered = 0, lost = 0, dup = 0, ooo = 0, bogus = 0, delivered = 0, other = 0;
  for (auto& [g, ss] : p.group_senders) {
    std::vector<std::uint64_t> expected;
    for (auto s : ss) {
      const user& u = e.users[s];
      sent += u.sched_us.size();
      answered += u.answered;
      for (auto q : u.acked_seq)
        if (q > 0) expected.push_back(static_cast<std::uint64_t>(q));
    }
    acked += expected.size();
    for (auto rcv : p.group_receivers[g]) {
      const user& u = e.users[rcv];
      lost += u.tracker.missing(expected);
      dup += u.tracker.duplicated();
      ooo += u.tracker.out_of_order();
      bogus += u.tracker.bogus();
      delivered += u.tracker.unique();
      other += u.other_conv;
    }
  }
  r.counters["sent"] = sent;
  r.counters["acked"] = acked;
  r.counters["unanswered"] = sent - answered;
  r.counters["delivered"] = delivered;
  r.counters["expected_deliveries"] = acked * p.fanout;
  r.counters["lost"] = lost;
  r.counters["duplicated"] = dup;
  r.counters["out_of_order"] = ooo;
  r.counters["bogus_frames"] += bogus;
  r.counters["other_conv"] = other;
  if (!e.own_pushes_expected) r.counters["own_pushes"] += 0;  // shown when none came too
  return r;
}

}  // namespace

results run_direct(const config& c, const ready_fn& ready) {
  engine e(c);
  e.own_pushes_expected = false;
  plan p;
  std::uint64_t mine = 0;
  for (std::uint64_t pair = 0; pair < c.pairs; ++pair) {
    if (!owns(pair, c.worker_index, c.worker_count)) continue;
    ++mine;
    std::string a = c.prefix + std::to_string(2 * pair), b = c.prefix + std::to_string(2 * pair + 1);
    user s;
    s.id = a;
    s.global_index = 2 * pair;
    s.login = login_frame({a, c.app_id, b, {}});
    s.send_prefix = sendmsg_prefix("toUid", b);
    user rcv;
    rcv.id = b;
    rcv.global_index = 2 * pair + 1;
    rcv.login = login_frame({b, c.app_id, a, {}});
    p.group_senders[pair].push_back(e.users.size());
    p.senders.push_back(e.users.size());
    e.users.push_back(std::move(s));
    p.group_receivers[pair].push_back(e.users.size());
    e.users.push_back(std::move(rcv));
  }
  double share = c.pairs ? c.rate * static_cast<double>(mine) / static_cast<double>(c.pairs) : 0;
  results r = run_messages(c, ready, e, p, share);
  r.scenario = "direct";
  return r;
}

results run_room(const config& c, const ready_fn& ready) {
  engine e(c);
  plan p;
  p.fanout = c.members;
  std::uint64_t mine = 0;
  for (std::uint64_t room = 0; room < c.rooms; ++room) {
    if (!owns(room, c.worker_index, c.worker_count)) continue;
    ++mine;
    std::string g = c.prefix + "r" + std::to_string(room);
    for (std::uint64_t m = 0; m < c.members; ++m) {
      user u;
      u.global_index = room * c.members + m;
      u.id = c.prefix + std::to_string(u.global_index);
      u.login = login_frame({u.id, c.app_id, {}, g});
      if (m < c.senders) {
        u.send_prefix = sendmsg_prefix("groupsId", g);
        p.senders.push_back(e.users.size());
        p.group_senders[room].push_back(e.users.size());
      }
      p.group_receivers[room].push_back(e.users.size());
      e.users.push_back(std::move(u));
    }
  }
  double share = c.rooms ? c.rate * static_cast<double>(mine) / static_cast<double>(c.rooms) : 0;
  results r = run_messages(c, ready, e, p, share);
  r.scenario = "room";
  return r;
}

}  // namespace chorus::bench
