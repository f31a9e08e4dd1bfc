// Running a scenario over several processes: the parent re-executes itself
// once per worker with --worker-index/--worker-count, waits until every
// worker says "ready" (all logged in), reads the server's RSS, says "go" to
// all, and merges the "result {json}" lines they print at the end. Workers
// are stopped by PID if the run times out. Main thread only.
#pragma once

#include "chorus/bench/config.hpp"
#include "chorus/bench/results.hpp"

#include <string>
#include <vector>

namespace chorus::bench {

results run_workers(const config& c, const std::vector<std::string>& argv, int workers);

// In a worker: tell the parent we are ready and block until it says go.
void worker_ready_and_wait(double timeout_s);
// In a worker: print the result line for the parent.
void worker_report(const results& r);

}  // namespace chorus::bench
