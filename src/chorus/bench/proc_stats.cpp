// /proc/<pid>/status VmRSS and getrusage (see proc_stats.hpp).
#include "chorus/bench/proc_stats.hpp"

#include <sys/resource.h>

#include <fstream>
#include <sstream>
#include <string>

namespace chorus::bench {

std::optional<double> read_rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("VmRSS:")) continue;
    std::istringstream s(line.substr(6));
    double kib = 0;
    if (s >> kib) return kib;
  }
  return std::nullopt;
}

cpu_time own_cpu_time() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return {secs(u.ru_utime), secs(u.ru_stime)};
}

}  // namespace chorus::bench
