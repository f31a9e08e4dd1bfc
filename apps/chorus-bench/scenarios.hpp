// The four scenarios (connect, direct, room, recover). Each builds its users
// (this worker's slice), drives the engine through its phases and returns
// the merged results. `ready` is called once everyone is logged in, before
// the measured phase: it reads the server's RSS, or, in a worker, tells the
// parent and waits for its go.
#pragma once

#include "chorus/bench/config.hpp"
#include "chorus/bench/results.hpp"

#include <functional>

namespace chorus::bench {

using ready_fn = std::function<void(results&)>;

results run_connect(const config& c, const ready_fn& ready);
results run_direct(const config& c, const ready_fn& ready);
results run_room(const config& c, const ready_fn& ready);
results run_recover(const config& c, const ready_fn& ready);

}  // namespace chorus::bench
