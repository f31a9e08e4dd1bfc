// Names the calling thread, as `top -H`, `perf` and gdb show it: "shard-0",
// "store-writer", "peer-2"... At most 15 characters (Linux keeps no more).
#pragma once

#include <pthread.h>

#include <string>

namespace chorus::core {

inline void name_this_thread(const std::string& name) {
  ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace chorus::core
