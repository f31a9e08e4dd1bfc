// Shards, connecting, frame bookkeeping, pacing, heartbeats and the controller loop (see engine.hpp).
#include "engine.hpp"

#include "chorus/bench/proc_stats.hpp"
#include "chorus/core/clock.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>

namespace chorus::bench {

namespace net = boost::asio;

// The sending pacer wakes at most this often (see pace_tick).
constexpr std::int64_t pace_min_wait_us = 200;

// steady_clock is CLOCK_MONOTONIC: the same clock in every worker process.
std::int64_t now_us() { return core::steady_us(); }

struct engine::shard_state {
  net::io_context io{1};
  net::executor_work_guard<net::io_context::executor_type> guard = net::make_work_guard(io);
  std::deque<std::size_t> pending;  // users waiting to connect
  int in_flight = 0;
  int max_in_flight = 1;
  // open-loop connecting (cfg.connect_rate): handshake k of this shard is
  // due at connect_t0 + k / connect_rate
  net::steady_timer connect_timer{io};
  bool connect_timer_set = false;
  double connect_rate = 0;
  std::int64_t connect_t0 = 0;
  std::uint64_t connects_started = 0;
  // pacer
  net::steady_timer pace_timer{io};
  std::function<void()> pace_tick;  // owned here, like hb_tick
  std::vector<std::size_t> senders;
  double rate = 0;
  std::int64_t pace_t0 = 0, pace_end = 0;
  std::uint64_t paced = 0;
  // heartbeats
  net::steady_timer hb_timer{io};
  double hb_owed = 0;  // heartbeats due and not sent yet
  std::function<void()> hb_tick;  // owned here: a closure owning itself would never be freed
  std::vector<std::size_t> members;
  std::size_t hb_next = 0;
  // Per frame, so kept here: a shared atomic bounced between the threads'
  // caches at every delivery, and a map lookup found the histogram.
  alignas(64) std::atomic<std::uint64_t> delivered{0};  // written by this shard only
  histogram* delivery_hist = nullptr;
};

engine::engine(const config& c) : cfg(c), heartbeat_(std::make_shared<const std::string>(heartbeat_frame())) {
  for (int i = 0; i < c.threads; ++i) ios_.push_back(std::make_unique<shard_state>());
  stats_.resize(ios_.size());
  for (auto& s : ios_) {
    s->max_in_flight = std::max(1, c.concurrency / c.threads);
    s->connect_rate = c.connect_rate / c.threads;
  }
  start_us_ = now_us();
  deadline_s_ = c.timeout_s;
}

engine::~engine() {
  if (!stopped_) finish();
}

std::uint64_t engine::delivered() const {
  std::uint64_t n = 0;
  for (auto& s : ios_) n += s->delivered.load(std::memory_order_relaxed);
  return n;
}

double engine::since_start_s() const { return static_cast<double>(now_us() - start_us_) / 1e6; }

void engine::start() {
  for (std::size_t i = 0; i < users.size(); ++i) {
    users[i].shard = static_cast<int>(i % ios_.size());
    ios_[static_cast<std::size_t>(users[i].shard)]->members.push_back(i);
  }
  for (auto& s : ios_) threads_.emplace_back([st = s.get()] { st->io.run(); });
}

void engine::post(int shard, std::function<void()> fn) { net::post(ios_[static_cast<std::size_t>(shard)]->io, std::move(fn)); }

void engine::connect(const std::vector<std::size_t>& which) {
  std::vector<std::vector<std::size_t>> per(ios_.size());
  for (auto i : which) per[static_cast<std::size_t>(users[i].shard)].push_back(i);
  for (int s = 0; s < shards(); ++s) {
    post(s, [this, s, list = std::move(per[static_cast<std::size_t>(s)])] {
      auto& st = *ios_[static_cast<std::size_t>(s)];
      if (st.connect_rate > 0 && st.pending.empty()) {
        st.connect_t0 = now_us();
        st.connects_started = 0;
      }
      st.pending.insert(st.pending.end(), list.begin(), list.end());
      start_next(s);
    });
  }
}

void engine::start_next(int s) {
  auto& st = *ios_[static_cast<std::size_t>(s)];
  bool open_loop = st.connect_rate > 0;
  // Open loop: handshake k of this shard is due at connect_t0 + k / rate;
  // one that waits for a slot (in flight is still bounded) counts its wait.
  auto next_due = [&st] {
    return st.connect_t0 + static_cast<std::int64_t>(static_cast<double>(st.connects_started) * 1e6 / st.connect_rate);
  };
  while (st.in_flight < st.max_in_flight && !st.pending.empty()) {
    auto now = now_us();
    auto due = open_loop ? next_due() : now;
    if (due > now) break;
    std::size_t i = st.pending.front();
    st.pending.pop_front();
    if (open_loop) ++st.connects_started;
    start_one(s, i, due);
  }
  // Wake for the next one that falls due.
  if (!open_loop || st.pending.empty() || st.in_flight >= st.max_in_flight || st.connect_timer_set) return;
  st.connect_timer_set = true;
  st.connect_timer.expires_at(net::steady_timer::clock_type::now() +
                              std::chrono::microseconds(std::max<std::int64_t>(0, next_due() - now_us())));
  st.connect_timer.async_wait([this, s](boost::system::error_code ec) {
    ios_[static_cast<std::size_t>(s)]->connect_timer_set = false;
    if (!ec) start_next(s);
  });
}

void engine::start_one(int s, std::size_t i, std::int64_t due_us) {
  auto& st = *ios_[static_cast<std::size_t>(s)];
  ++st.in_flight;
  user& u = users[i];
  u.conn = connection::make(st.io, {[this, i](std::string_view f) { on_frame(i, f); },
                                    [this, i](const std::string& why) {
                                      user& uu = users[i];
                                      ++stats(uu.shard).counters["closed_by_server"];
                                      prog.closed.fetch_add(1, std::memory_order_relaxed);
                                      if (uu.handshaking) {
                                        end_handshake(uu);
                                        ++stats(uu.shard).counters["login_failed"];
                                        prog.login_failed.fetch_add(1, std::memory_order_relaxed);
                                      }
                                      static std::atomic<int> reported{0};
                                      if (reported.fetch_add(1) < 5)
                                        std::fprintf(stderr, "connection of %s closed: %s\n", uu.id.c_str(), why.c_str());
                                    }});
  target t;
  auto port = cfg.port_of(u.global_index);
  t.server = {net::ip::make_address_v4(cfg.host), static_cast<unsigned short>(port)};
  t.host = cfg.host + ":" + std::to_string(port);
  if (cfg.sources > 0)
    t.source = net::ip::address_v4(0x7f000002u + static_cast<unsigned>(u.global_index % static_cast<unsigned>(cfg.sources)));
  u.connect_start_us = due_us;
  u.handshaking = true;
  u.conn->connect(t, [this, i, s](const std::string& err) {
    user& uu = users[i];
    if (!err.empty()) {
      ++stats(s).counters["login_failed"];
      prog.login_failed.fetch_add(1, std::memory_order_relaxed);
      static std::atomic<int> reported{0};
      if (reported.fetch_add(1) < 5) std::fprintf(stderr, "connect %s failed: %s\n", uu.id.c_str(), err.c_str());
      end_handshake(uu);
      return;
    }
    uu.conn->send(std::make_shared<const std::string>(uu.login));
  });
}

void engine::on_frame(std::size_t i, std::string_view f) {
  user& u = users[i];
  frame_info fi = scan_frame(f);
  auto& st = stats(u.shard);
  switch (fi.k) {
    case frame_info::kind::response:
      if (fi.action == "sendmsg") {
        on_sendmsg_response(u, fi);
      } else if (fi.action == "login") {
        on_login_response(u, fi);
      } else if (fi.action == "heartbeat") {
        if (fi.code != 200) ++st.counters["error_responses"];
      } else if (on_response) {
        on_response(u, fi);
      }
      return;
    case frame_info::kind::message: {
      if (fi.conv_seq < 0) {
        ++st.counters["bogus_frames"];
        return;
      }
      if (!own_pushes_expected && fi.from == u.id) {
        ++st.counters["own_pushes"];
        return;
      }
      if (u.conv.empty()) u.conv = std::string(fi.conv);
      if (fi.conv != u.conv) {
        ++u.other_conv;
        return;
      }
      auto v = u.tracker.on_receive(static_cast<std::uint64_t>(fi.conv_seq));
      if (v == conv_tracker::verdict::duplicate || v == conv_tracker::verdict::bogus) return;
      auto& sh = *ios_[static_cast<std::size_t>(u.shard)];
      sh.delivered.store(sh.delivered.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      auto now = now_us();
      if (auto t = content_time_us(fi.content); t > 0 && now >= t) {
        if (!sh.delivery_hist) sh.delivery_hist = &st.hists["delivery"];
        sh.delivery_hist->add(static_cast<std::uint64_t>(now - t));
      }
      if (on_message) on_message(u, fi, now);
      return;
    }
    case frame_info::kind::event:
      return;
    case frame_info::kind::unknown:
      ++st.counters["bogus_frames"];
      return;
  }
}

void engine::on_login_response(user& u, const frame_info& fi) {
  auto& st = stats(u.shard);
  if (!u.handshaking) {
    ++st.counters["bogus_frames"];
    return;
  }
  if (fi.code == 200) {
    u.logged_in = true;
    auto now = now_us();
    st.hists["handshake"].add(static_cast<std::uint64_t>(now - u.connect_start_us));
    // Its parts: TCP connect (from when it was due), the upgrade, the login.
    if (auto& c = *u.conn; c.tcp_done_us >= u.connect_start_us && c.upgrade_done_us >= c.tcp_done_us) {
      st.hists["hs_tcp"].add(static_cast<std::uint64_t>(c.tcp_done_us - u.connect_start_us));
      st.hists["hs_upgrade"].add(static_cast<std::uint64_t>(c.upgrade_done_us - c.tcp_done_us));
      st.hists["hs_login"].add(static_cast<std::uint64_t>(now - c.upgrade_done_us));
    }
    prog.logged_in.fetch_add(1);
    if (on_login) on_login(u);
  } else {
    ++st.counters["login_failed"];
    prog.login_failed.fetch_add(1, std::memory_order_relaxed);
  }
  end_handshake(u);
}

void engine::end_handshake(user& u) {
  if (!u.handshaking) return;
  u.handshaking = false;
  --ios_[static_cast<std::size_t>(u.shard)]->in_flight;
  start_next(u.shard);
}

void engine::on_sendmsg_response(user& u, const frame_info& fi) {
  auto& st = stats(u.shard);
  std::uint64_t seq = 0;
  auto r = std::from_chars(fi.seq.data(), fi.seq.data() + fi.seq.size(), seq);
  if (r.ec != std::errc{} || seq >= u.sched_us.size()) {
    ++st.counters["bogus_frames"];
    return;
  }
  ++u.answered;
  if (fi.code == 200 && fi.conv_seq > 0) {
    u.acked_seq[seq] = fi.conv_seq;
    st.hists["ack"].add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now_us() - u.sched_us[seq])));
    if (expected_per_ack) prog.expected.fetch_add(expected_per_ack(u), std::memory_order_relaxed);
  } else {
    ++st.counters["error_responses"];
    prog.errors.fetch_add(1, std::memory_order_relaxed);
    static std::atomic<int> reported{0};
    if (reported.fetch_add(1) < 5) std::fprintf(stderr, "sendmsg of %s answered with code %d\n", u.id.c_str(), fi.code);
  }
  if (on_answered) on_answered(u, seq);
  // Counted last: a thread that sees the count also sees what this answer wrote.
  prog.answered.fetch_add(1);
}

void engine::send(user& u, std::shared_ptr<const std::string> frame) {
  if (u.conn) u.conn->send(std::move(frame));
}

void engine::send_message(user& u, std::int64_t sched_us) {
  std::uint64_t seq = u.sched_us.size();
  u.sched_us.push_back(sched_us);
  u.acked_seq.push_back(-1);
  prog.sent.fetch_add(1, std::memory_order_relaxed);
  u.conn->send(std::make_shared<const std::string>(sendmsg_frame(u.send_prefix, seq, sched_us, cfg.size, cfg.msg_id)));
}

void engine::pace(const std::vector<std::size_t>& senders, double rate, double seconds) {
  std::vector<std::vector<std::size_t>> per(ios_.size());
  for (auto i : senders)
    if (users[i].logged_in) per[static_cast<std::size_t>(users[i].shard)].push_back(i);
  std::size_t total = 0;
  for (auto& p : per) total += p.size();
  auto t0 = now_us();
  for (int s = 0; s < shards(); ++s) {
    auto& list = per[static_cast<std::size_t>(s)];
    double share = total ? rate * static_cast<double>(list.size()) / static_cast<double>(total) : 0;
    post(s, [this, s, list = std::move(list), share, t0, seconds] {
      auto& st = *ios_[static_cast<std::size_t>(s)];
      st.senders = list;
      st.rate = share;
      st.pace_t0 = t0;
      st.pace_end = t0 + static_cast<std::int64_t>(seconds * 1e6);
      st.paced = 0;
      st.pace_tick = [this, &st] {
        auto now = now_us();
        auto upto = std::min(now, st.pace_end);
        // Message k is due at t0 + k/rate (and measured from then): by
        // `upto`, messages 0 .. floor(elapsed * rate) are due.
        auto due = static_cast<std::uint64_t>(static_cast<double>(upto - st.pace_t0) * st.rate / 1e6) + 1;
        // Catch up at once when the timer was late: open loop, no coordinated omission.
        while (st.paced < due && !st.senders.empty()) {
          user& u = users[st.senders[st.paced % st.senders.size()]];
          auto sched = st.pace_t0 + static_cast<std::int64_t>(static_cast<double>(st.paced) * 1e6 / st.rate);
          if (sched >= st.pace_end) break;  // the run's last due time is before its end
          ++st.paced;
          if (u.conn && u.logged_in) send_message(u, sched);
        }
        if (now >= st.pace_end) {
          prog.pacers_done.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        // Wake when the next message falls due (a message the tool sends
        // late counts its lateness as latency), but at most every 200 us:
        // at high rates a wake-up per message would cost the tool more
        // than the sends.
        auto next = st.senders.empty() || st.rate <= 0
                        ? st.pace_end
                        : st.pace_t0 + static_cast<std::int64_t>(static_cast<double>(st.paced) * 1e6 / st.rate);
        st.pace_timer.expires_after(std::chrono::microseconds(std::max<std::int64_t>(pace_min_wait_us, next - now_us())));
        st.pace_timer.async_wait([&st](boost::system::error_code ec) {
          if (!ec) st.pace_tick();
        });
      };
      st.pace_tick();
    });
  }
}

void engine::heartbeats() {
  for (int s = 0; s < shards(); ++s) {
    post(s, [this, s] {
      auto& st = *ios_[static_cast<std::size_t>(s)];
      st.hb_tick = [this, &st] {
        // Each 10 ms tick covers 1/(100 heartbeat_s) of the users: spread
        // like real clients' heartbeats, not a burst a second that queues
        // the messages behind it (at the server and in the tool).
        auto n = st.members.size();
        st.hb_owed += static_cast<double>(n) / (100 * std::max(1.0, cfg.heartbeat_s));
        for (; st.hb_owed >= 1 && n; st.hb_owed -= 1) {
          user& u = users[st.members[st.hb_next++ % n]];
          if (u.logged_in) send(u, heartbeat_);
        }
        st.hb_timer.expires_after(std::chrono::milliseconds(10));
        st.hb_timer.async_wait([&st](boost::system::error_code ec) {
          if (!ec) st.hb_tick();
        });
      };
      st.hb_tick();
    });
  }
}

bool engine::wait(const char* phase, const std::function<bool()>& done, double seconds, bool report_timeout) {
  auto t0 = now_us();
  auto last_print = t0;
  while (!done()) {
    auto now = now_us();
    double phase_s = static_cast<double>(now - t0) / 1e6;
    if (phase_s > seconds || since_start_s() > deadline_s_) {
      if (report_timeout) {
        std::fprintf(stderr, "timeout in phase %s after %.1f s\n", phase, phase_s);
        prog.timeouts.fetch_add(1);
      }
      return false;
    }
    if (cfg.progress && now - last_print >= 1'000'000) {
      last_print = now;
      print_progress(phase);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void engine::print_progress(const char* phase) {
  auto r = [](const std::atomic<std::uint64_t>& a) { return static_cast<unsigned long long>(a.load(std::memory_order_relaxed)); };
  std::fprintf(stderr, "%s[%s] t=%.0fs logged_in=%llu failed=%llu sent=%llu answered=%llu errors=%llu delivered=%llu/%llu done=%llu closed=%llu\n",
               cfg.is_worker() ? ("w" + std::to_string(cfg.worker_index) + " ").c_str() : "", phase,
               since_start_s(), r(prog.logged_in), r(prog.login_failed), r(prog.sent), r(prog.answered),
               r(prog.errors), static_cast<unsigned long long>(delivered()), r(prog.expected), r(prog.done),
               r(prog.closed));
}

results engine::finish() {
  stopped_ = true;
  std::atomic<int> closed{0};
  for (int s = 0; s < shards(); ++s) {
    post(s, [this, s, &closed] {
      auto& st = *ios_[static_cast<std::size_t>(s)];
      st.pace_timer.cancel();
      st.hb_timer.cancel();
      st.pending.clear();
      for (auto i : st.members)
        if (users[i].conn) users[i].conn->close();
      st.guard.reset();
      closed.fetch_add(1);
    });
  }
  // The closes take effect at once (no close handshake); then stop whatever is left.
  for (int k = 0; k < 500 && closed.load() < shards(); ++k) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (auto& s : ios_) s->io.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Drop the connections while their io_contexts still exist: a socket must
  // not outlive its io_context (the handlers still queued hold the rest).
  for (auto& u : users) u.conn.reset();
  results r;
  for (auto& s : stats_) r.merge(s);
  if (auto t = prog.timeouts.load()) r.counters["timeouts"] += t;
  auto cpu = own_cpu_time();
  r.gauges["cpu_user_s"] = cpu.user_s;
  r.gauges["cpu_sys_s"] = cpu.sys_s;
  return r;
}

}  // namespace chorus::bench
