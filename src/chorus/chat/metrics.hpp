// Node-wide metrics for /metrics, kept in a prometheus-cpp registry (Debian's
// prometheus-cpp-dev) and rendered in the Prometheus text format. Counters
// and gauges are atomics: any thread updates them. The histograms take a
// lock, so they are fed only off the hot path (once per store batch) or
// from one thread each (sendmsg_seconds: one histogram per shard).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace chorus::chat {

class metrics {
 public:
  metrics();
  std::string render() const;
  // Time from a sendmsg frame to its answer queued, for one shard's sessions.
  prometheus::Histogram& sendmsg_seconds(unsigned shard);

 private:
  std::shared_ptr<prometheus::Registry> registry_;

 public:
  prometheus::Gauge& connections;  // open WebSocket sessions
  prometheus::Counter& connections_total;
  prometheus::Counter& http_requests;
  prometheus::Counter& frames_in;
  prometheus::Counter& frames_out;
  prometheus::Counter& messages_stored;
  prometheus::Counter& messages_duplicate;
  prometheus::Counter& pushes;         // message and event frames queued to sessions
  prometheus::Counter& sync_messages;  // messages sent by sync rounds
  prometheus::Counter& settle_syncs;   // sync rounds after a cluster login's routes settled
  prometheus::Counter& errors;         // error responses
  prometheus::Counter& rate_limited;
  prometheus::Counter& slow_consumer_closes;
  prometheus::Counter& events_dropped;  // ephemeral events skipped for a backlogged session
  prometheus::Counter& idle_closes;
  prometheus::Counter& accept_errors;
  prometheus::Counter& store_failed_batches;
  prometheus::Counter& peer_deliveries_sent;      // to other nodes (cluster)
  prometheus::Counter& peer_batches_sent;         // the gRPC messages that carried them
  prometheus::Counter& peer_deliveries_received;  // from other nodes
  prometheus::Counter& peer_send_failures;        // deliveries dropped on the way to a peer
  prometheus::Counter& redis_commands;            // sent by the cluster's directory
  prometheus::Counter& presence_stale_lookups;    // presence sets fetched past a lagging cache fence
  prometheus::Histogram& store_batch_writes;   // writes per store transaction
  prometheus::Histogram& store_batch_seconds;  // time to write and commit one
  // The SQLite store's WAL (store/sqlite/checkpointer.hpp); zero on PostgreSQL.
  prometheus::Gauge& sqlite_wal_frames;             // frames in the WAL after the last commit
  prometheus::Counter& sqlite_wal_restarts;         // commits that started the WAL over
  prometheus::Counter& sqlite_checkpoints;          // checkpoints of the checkpointer thread that copied frames
  prometheus::Counter& sqlite_wal_cap_waits;        // the writer waited for one at the WAL's cap
  prometheus::Counter& sqlite_wal_cap_wait_seconds; // ... for this long in all

 private:
  prometheus::Family<prometheus::Histogram>& sendmsg_seconds_;
};

}  // namespace chorus::chat
