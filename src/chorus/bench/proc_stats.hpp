// Process figures the bench reports: a process's resident memory from
// /proc/<pid>/status and this process's own CPU time. Any thread.
#pragma once

#include <optional>
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

}  // namespace chorus::bench
