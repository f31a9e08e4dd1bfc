// fork/exec of worker processes, the ready/go handshake and merging their results (see workers.hpp).
#include "workers.hpp"

#include "chorus/bench/proc_stats.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <stdexcept>

namespace chorus::bench {

namespace {

struct worker {
  pid_t pid = -1;
  int to_child = -1;    // its stdin
  int from_child = -1;  // its stdout
  std::string buffer;
  bool ready = false;
  bool reported = false;
  results result;
};

worker spawn(const std::vector<std::string>& args) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    std::vector<char*> av;
    for (const auto& a : args) av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    execv("/proc/self/exe", av.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  worker w;
  w.pid = pid;
  w.to_child = in[1];
  w.from_child = out[0];
  return w;
}

void handle_line(worker& w, const std::string& line) {
  if (line == "ready") {
    w.ready = true;
  } else if (line.starts_with("result ")) {
    w.result = results::from_json(boost::json::parse(line.substr(7)).as_object());
    w.reported = true;
  }
}

}  // namespace

results run_workers(const config& c, const std::vector<std::string>& argv, int count) {
  std::vector<worker> ws;
  for (int i = 0; i < count; ++i) {
    auto args = argv;
    args.push_back("--worker-index");
    args.push_back(std::to_string(i));
    args.push_back("--worker-count");
    args.push_back(std::to_string(count));
    args.push_back("--prefix");
    args.push_back(c.prefix);
    args.push_back("--concurrency");
    args.push_back(std::to_string(std::max(1, c.concurrency / count)));
    if (c.connect_rate > 0) {  // each worker its share of the rate
      args.push_back("--connect-rate");
      args.push_back(std::to_string(c.connect_rate / count));
    }
    ws.push_back(spawn(args));
  }

  results extra;
  bool go_sent = false;
  bool held_read = false;
  auto go_at = std::chrono::steady_clock::now();
  auto t0 = std::chrono::steady_clock::now();
  auto pending = [&] {
    for (auto& w : ws)
      if (!w.reported && w.from_child >= 0) return true;
    return false;
  };
  while (pending()) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (elapsed > c.timeout_s + 30) {
      std::fprintf(stderr, "workers did not finish in time; stopping them\n");
      for (auto& w : ws)
        if (!w.reported) kill(w.pid, SIGTERM);
      ++extra.counters["timeouts"];
      break;
    }
    std::vector<pollfd> fds;
    for (auto& w : ws)
      if (w.from_child >= 0) fds.push_back({w.from_child, POLLIN, 0});
    poll(fds.data(), fds.size(), 200);
    for (auto& w : ws) {
      if (w.from_child < 0) continue;
      pollfd p{w.from_child, POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) continue;
      char buf[65536];
      auto n = read(w.from_child, buf, sizeof buf);
      if (n <= 0) {
        close(w.from_child);
        w.from_child = -1;
        continue;
      }
      w.buffer.append(buf, static_cast<std::size_t>(n));
      for (auto nl = w.buffer.find('\n'); nl != std::string::npos; nl = w.buffer.find('\n')) {
        handle_line(w, w.buffer.substr(0, nl));
        w.buffer.erase(0, nl + 1);
      }
    }
    bool all_ready = true;
    for (auto& w : ws) all_ready = all_ready && w.ready;
    if (all_ready && !go_sent) {
      // Everyone is connected and logged in: the moment for the server's RSS.
      if (c.server_pid > 0) {
        if (auto rss = read_rss_kib(c.server_pids)) extra.gauges["rss_after_kib"] = *rss;
        if (auto cpu = read_cpu_s(c.server_pids)) extra.gauges["server_cpu_ready_s"] = *cpu;
      }
      for (auto& w : ws) {
        if (write(w.to_child, "go\n", 3) != 3) std::fprintf(stderr, "could not signal worker %d\n", w.pid);
      }
      go_sent = true;
      go_at = std::chrono::steady_clock::now();
    }
    // connect: the server's RSS once more just before the hold ends.
    if (go_sent && !held_read && c.scenario == "connect" && c.server_pid > 0 &&
        std::chrono::steady_clock::now() - go_at > std::chrono::duration<double>(std::max(0.0, c.hold_s - 0.5))) {
      held_read = true;
      if (auto rss = read_rss_kib(c.server_pids)) extra.gauges["rss_held_kib"] = *rss;
    }
  }

  results merged;
  for (auto& w : ws) {
    int status = 0;
    waitpid(w.pid, &status, 0);
    if (w.to_child >= 0) close(w.to_child);
    if (w.from_child >= 0) close(w.from_child);
    if (!w.reported) {
      std::fprintf(stderr, "worker %d gave no result\n", w.pid);
      ++extra.counters["timeouts"];
      continue;
    }
    merged.merge(w.result);
  }
  merged.merge(extra);
  return merged;
}

void worker_ready_and_wait(double timeout_s) {
  std::cout << "ready" << std::endl;
  pollfd p{0, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout_s * 1000)) <= 0) return;
  std::string line;
  std::getline(std::cin, line);
}

void worker_report(const results& r) {
  std::cout << "result " << boost::json::serialize(r.to_json(true)) << std::endl;
}

}  // namespace chorus::bench
