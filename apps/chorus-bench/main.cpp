// chorus-bench: a load generator speaking the Chorus protocol to a chorusd on
// loopback (docs/benchmarks.md). main() parses the flags, raises the fd
// limit, runs the scenario in this process or over worker processes, prints
// the table, appends the JSON line and exits 0 (clean), 1 (a message lost,
// duplicated or out of order) or 2 (errors, timeouts, bad flags).
#include "scenarios.hpp"
#include "workers.hpp"

#include "chorus/core/fd_table.hpp"
#include "chorus/bench/config.hpp"
#include "chorus/bench/proc_stats.hpp"
#include "chorus/bench/results.hpp"

#include <boost/json/serialize.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <iostream>

namespace bench = chorus::bench;

namespace {

void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

boost::json::object params_of(const bench::config& c, int workers) {
  boost::json::object p;
  p["host"] = c.host;
  p["port"] = c.port;
  if (c.ports.size() > 1) p["nodes"] = c.ports.size();
  p["threads"] = c.threads;
  p["workers"] = workers;
  p["sources"] = c.sources;
  p["concurrency"] = c.concurrency;
  if (c.connect_rate > 0) p["connect_rate"] = c.connect_rate;
  if (!c.label.empty()) p["label"] = c.label;
  if (c.scenario == "connect") {
    p["connections"] = c.connections;
    p["hold_s"] = c.hold_s;
  } else if (c.scenario == "direct" || c.scenario == "room") {
    if (c.scenario == "direct") p["pairs"] = c.pairs;
    if (c.scenario == "room") {
      p["rooms"] = c.rooms;
      p["members"] = c.members;
      p["senders"] = c.senders;
    }
    p["rate"] = c.rate;
    p["duration_s"] = c.duration_s;
    p["size"] = c.size;
    p["msg_id"] = c.msg_id;
  } else {
    p["users"] = c.users;
    p["messages"] = c.messages;
  }
  return p;
}

bench::results run_here(const bench::config& c) {
  bench::ready_fn ready = [&c](bench::results& r) {
    if (c.is_worker()) {
      bench::worker_ready_and_wait(c.timeout_s);
    } else if (c.server_pid > 0) {
      if (auto rss = bench::read_rss_kib(c.server_pids)) r.gauges["rss_after_kib"] = *rss;
      if (auto cpu = bench::read_cpu_s(c.server_pids)) r.gauges["server_cpu_ready_s"] = *cpu;
    }
  };
  if (c.scenario == "connect") return bench::run_connect(c, ready);
  if (c.scenario == "direct") return bench::run_direct(c, ready);
  if (c.scenario == "room") return bench::run_room(c, ready);
  return bench::run_recover(c, ready);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bench::config c;
  try {
    if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
      std::cout << bench::usage();
      return 0;
    }
    c = bench::parse_args(args);
  } catch (const std::exception& e) {
    std::cerr << "chorus-bench: " << e.what() << "\n" << bench::usage();
    return 2;
  }
  raise_fd_limit();
  chorus::core::presize_fd_table();  // before any thread: see fd_table.hpp
  signal(SIGPIPE, SIG_IGN);
  if (c.prefix.empty()) {
    // Fresh ids each run, so conversations start at convSeq 1 on a used database.
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
    c.prefix = "b" + std::to_string(ms % 100'000'000) + "x" + std::to_string(getpid() % 1000) + "-";
  }

  if (c.is_worker()) {
    auto r = run_here(c);
    bench::worker_report(r);
    return r.exit_code();
  }

  int workers = c.workers;
  if (workers == 0) workers = static_cast<int>((c.total_connections() + 14'999) / 15'000);
  bench::results r;
  std::optional<double> rss_before;
  if (c.server_pid > 0) {
    rss_before = bench::read_rss_kib(c.server_pids);
    if (!rss_before) std::cerr << "chorus-bench: no VmRSS for pid(s) starting " << c.server_pid << "\n";
  }
  if (workers <= 1) {
    r = run_here(c);
  } else {
    std::vector<std::string> self{argv[0]};
    self.insert(self.end(), args.begin(), args.end());
    r = bench::run_workers(c, self, workers);
  }
  if (c.server_pid > 0 && r.gauges.contains("server_cpu_ready_s"))
    if (auto cpu = bench::read_cpu_s(c.server_pids)) r.gauges["server_cpu_run_s"] = *cpu - r.gauges["server_cpu_ready_s"];
  r.scenario = c.scenario;
  r.params = params_of(c, std::max(1, workers));
  if (rss_before) r.gauges["rss_before_kib"] = *rss_before;
  auto self_cpu = bench::own_cpu_time();
  if (workers > 1) {
    r.gauges["cpu_user_s"] += self_cpu.user_s;
    r.gauges["cpu_sys_s"] += self_cpu.sys_s;
  }
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();

  auto box = bench::describe_machine();
  std::cout << "machine: " << (box.cpu_model.empty() ? "CPU model unknown" : box.cpu_model) << ", " << box.cpus
            << " CPUs, Linux " << box.kernel << "\n"
            << r.table() << std::flush;
  if (!c.json_path.empty()) {
    auto j = r.to_json(false);
    j["time_ms"] = now_ms;
    j["exit_code"] = r.exit_code();
    j["machine"] = {{"cpu_model", box.cpu_model}, {"cpus", box.cpus}, {"kernel", box.kernel}};
    std::ofstream out(c.json_path, std::ios::app);
    out << boost::json::serialize(j) << "\n";
    if (!out) {
      std::cerr << "chorus-bench: could not write " << c.json_path << "\n";
      return 2;
    }
  }
  return r.exit_code();
}
