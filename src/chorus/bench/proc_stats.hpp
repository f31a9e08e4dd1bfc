// Process figures the bench reports: a process's resident memory from
// /proc/<pid>/status, this process's own CPU time, and the machine it ran
// on. Any thread.
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace chorus::bench {

// VmRSS of `pid` in KiB; nullopt if the process or the line is missing.
std::optional<double> read_rss_kib(int pid);

// User + system CPU seconds `pid` has used (/proc/<pid>/stat); nullopt if gone.
std::optional<double> read_cpu_s(int pid);

// Summed over several processes; nullopt if any is missing.
std::optional<double> read_rss_kib(const std::vector<int>& pids);
std::optional<double> read_cpu_s(const std::vector<int>& pids);

struct cpu_time {
  double user_s = 0;
  double sys_s = 0;
};
cpu_time own_cpu_time();

// What a run was measured on. The same build measures differently on another
// host's CPU, and a VM may come up on another host from one day to the next
// (docs/benchmarks.md, "The machine"): every JSON line says which.
struct machine {
  std::string cpu_model;  // /proc/cpuinfo's first "model name"; "" if none
  long cpus = 0;          // online CPUs
  std::string kernel;     // uname's release
};
machine describe_machine();

// The first "model name" value of a /proc/cpuinfo text, trimmed; "" if none.
std::string cpu_model_of(std::istream& cpuinfo);

}  // namespace chorus::bench
