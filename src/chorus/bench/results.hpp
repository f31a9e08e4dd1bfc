// What a run measured: named counters, gauges and latency histograms, merged
// across threads and worker processes, written as one JSON line and as a
// human table. Not thread-safe: each thread fills its own, merged at the end.
#pragma once

#include "chorus/bench/histogram.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace chorus::bench {

struct results {
  std::string scenario;
  boost::json::object params;
  std::map<std::string, std::uint64_t> counters;
  // Gauges named "cpu_*" add up when merged (each process's CPU time);
  // the others (phase durations, RSS) take the larger value.
  std::map<std::string, double> gauges;
  std::map<std::string, histogram> hists;  // microseconds

  void merge(const results& other);

  std::uint64_t counter(std::string_view name) const;
  double gauge(std::string_view name) const;

  // lost + duplicated + out_of_order
  std::uint64_t order_faults() const;
  // errors that make the run unusable: failed logins, error codes,
  // unanswered sends, server closes, incomplete recoveries, timeouts
  std::uint64_t errors() const;
  int exit_code() const;

  // Rates and per-connection figures computed from the raw values.
  boost::json::object derived() const;

  // {"scenario","params","counters","gauges","latency_us","derived"};
  // with_buckets: the histograms in full, for a parent to merge.
  boost::json::object to_json(bool with_buckets) const;
  static results from_json(const boost::json::object& o);

  std::string table() const;
};

}  // namespace chorus::bench
