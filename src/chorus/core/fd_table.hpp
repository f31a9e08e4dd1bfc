// Grows this process's file descriptor table to the open-file limit once, at
// startup, while the process has one thread.
//
// Why: the kernel doubles a process's fd table when a new descriptor does
// not fit (at 256, 512, 1,024, ... descriptors), and with more than one
// thread each doubling waits for an RCU grace period (expand_fdtable calls
// synchronize_rcu). `perf trace` on chorusd taking handshakes showed
// accept() blocked 4-12 ms exactly at descriptors 256, 512, 1,024, 2,048 and
// 4,096, every connection queued behind it waiting too: a tail of the
// handshake latency. Done single-threaded there is no grace period to wait
// for. The table is kernel memory (8 bytes a slot), not the process's RSS.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace chorus::core {

inline void presize_fd_table(rlim_t most = rlim_t{1} << 20) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY || r.rlim_cur < 2) return;
  int top = static_cast<int>(std::min(r.rlim_cur, most) - 1);
  int src = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (src < 0) return;
  if (src < top && ::dup2(src, top) == top) ::close(top);
  ::close(src);
}

}  // namespace chorus::core
