// /proc/<pid>/status VmRSS and getrusage (see proc_stats.hpp).
#include "chorus/bench/proc_stats.hpp"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

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

std::optional<double> read_cpu_s(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // After "pid (comm) ", fields start at 3 (state); utime and stime are 14 and 15.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream s(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && s >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  if (!s) return std::nullopt;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

namespace {
template <class F>
std::optional<double> sum_over(const std::vector<int>& pids, F read) {
  double total = 0;
  for (int pid : pids) {
    auto v = read(pid);
    if (!v) return std::nullopt;
    total += *v;
  }
  return total;
}
}  // namespace

std::optional<double> read_rss_kib(const std::vector<int>& pids) {
  return sum_over(pids, [](int p) { return read_rss_kib(p); });
}

std::optional<double> read_cpu_s(const std::vector<int>& pids) {
  return sum_over(pids, [](int p) { return read_cpu_s(p); });
}

cpu_time own_cpu_time() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return {secs(u.ru_utime), secs(u.ru_stime)};
}

std::string cpu_model_of(std::istream& cpuinfo) {
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (!line.starts_with("model name")) continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto first = line.find_first_not_of(" \t", colon + 1);
    if (first == std::string::npos) return "";
    return line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
  }
  return "";
}

machine describe_machine() {
  machine m;
  std::ifstream cpuinfo("/proc/cpuinfo");
  m.cpu_model = cpu_model_of(cpuinfo);
  m.cpus = sysconf(_SC_NPROCESSORS_ONLN);
  utsname u{};
  if (uname(&u) == 0) m.kernel = u.release;
  return m;
}

}  // namespace chorus::bench
