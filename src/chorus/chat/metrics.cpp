#include "chorus/chat/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace chorus::chat {

namespace {
prometheus::Counter& counter(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}
prometheus::Gauge& gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}
prometheus::Histogram& histogram(prometheus::Registry& r, const char* name, const char* help,
                                 prometheus::Histogram::BucketBoundaries b) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add({}, std::move(b));
}
}  // namespace

metrics::metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      connections(gauge(*registry_, "chorus_connections", "Open WebSocket sessions.")),
      connections_total(counter(*registry_, "chorus_connections_total", "WebSocket sessions opened.")),
      http_requests(counter(*registry_, "chorus_http_requests_total", "HTTP requests served.")),
      frames_in(counter(*registry_, "chorus_frames_in_total", "WebSocket frames received.")),
      frames_out(counter(*registry_, "chorus_frames_out_total", "WebSocket frames written.")),
      messages_stored(counter(*registry_, "chorus_messages_stored_total", "Messages stored (accepted sendmsg).")),
      messages_duplicate(counter(*registry_, "chorus_messages_duplicate_total",
                                 "sendmsg retries answered from the store.")),
      pushes(counter(*registry_, "chorus_pushes_total", "Message and event pushes queued to sessions.")),
      sync_messages(counter(*registry_, "chorus_sync_messages_total", "Messages delivered by sync.")),
      settle_syncs(counter(*registry_, "chorus_settle_syncs_total",
                           "Sync rounds run once a cluster login's routes have settled (docs/cluster.md).")),
      errors(counter(*registry_, "chorus_errors_total", "Error responses sent.")),
      rate_limited(counter(*registry_, "chorus_rate_limited_total", "Frames refused by the rate limit.")),
      slow_consumer_closes(counter(*registry_, "chorus_slow_consumer_closes_total",
                                   "Sessions closed for an overflowing send queue.")),
      events_dropped(counter(*registry_, "chorus_events_dropped_total",
                             "Ephemeral events (typing, presence, marks) skipped for a session with a long send queue.")),
      idle_closes(counter(*registry_, "chorus_idle_closes_total", "Sessions closed by the idle or login timeout.")),
      accept_errors(counter(*registry_, "chorus_accept_errors_total", "Failed accepts (e.g. out of file descriptors).")),
      store_failed_batches(counter(*registry_, "chorus_store_failed_batches_total", "Store transactions rolled back.")),
      peer_deliveries_sent(counter(*registry_, "chorus_peer_deliveries_sent_total",
                                   "Deliveries sent to other nodes over gRPC.")),
      peer_batches_sent(counter(*registry_, "chorus_peer_batches_sent_total",
                                "Batches (stream messages) that carried them to other nodes.")),
      peer_deliveries_received(counter(*registry_, "chorus_peer_deliveries_received_total",
                                       "Deliveries received from other nodes over gRPC.")),
      peer_send_failures(counter(*registry_, "chorus_peer_send_failures_total",
                                 "Deliveries dropped on the way to another node (sync recovers them).")),
      redis_commands(counter(*registry_, "chorus_redis_commands_total",
                             "Redis commands sent (registry heartbeats, presence, routing lookups, fence PINGs).")),
      presence_stale_lookups(counter(*registry_, "chorus_presence_stale_lookups_total",
                                     "Presence sets fetched from Redis because the presence cache's fence lagged "
                                     "more than its bound behind (subscription slow or stalled).")),
      store_batch_writes(histogram(*registry_, "chorus_store_batch_writes", "Writes per store transaction.",
                                   {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024})),
      store_batch_seconds(histogram(*registry_, "chorus_store_batch_seconds",
                                    "Time to write and commit one store transaction.",
                                    {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25})),
      sqlite_wal_frames(gauge(*registry_, "chorus_sqlite_wal_frames",
                              "Frames (pages) in the SQLite WAL after the last commit.")),
      sqlite_wal_restarts(counter(*registry_, "chorus_sqlite_wal_restarts_total",
                                  "Commits that started the SQLite WAL over from its first frame.")),
      sqlite_checkpoints(counter(*registry_, "chorus_sqlite_checkpoints_total",
                                 "WAL checkpoints run by the SQLite checkpointer thread that copied frames back.")),
      sqlite_wal_cap_waits(counter(*registry_, "chorus_sqlite_wal_cap_waits_total",
                                   "Times the SQLite writer waited for a checkpoint at the WAL's size cap "
                                   "(writes outrunning the checkpointer).")),
      sqlite_wal_cap_wait_seconds(counter(*registry_, "chorus_sqlite_wal_cap_wait_seconds_total",
                                          "Time the SQLite writer spent in those waits.")),
      sendmsg_seconds_(prometheus::BuildHistogram()
                           .Name("chorus_sendmsg_seconds")
                           .Help("Time from a sendmsg frame read to its answer queued to the sender (the store "
                                 "commit included), per shard.")
                           .Register(*registry_)) {}

prometheus::Histogram& metrics::sendmsg_seconds(unsigned shard) {
  return sendmsg_seconds_.Add({{"shard", std::to_string(shard)}},
                              prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005,
                                                                      0.01, 0.025, 0.05, 0.1, 0.25, 1});
}

std::string metrics::render() const { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

}  // namespace chorus::chat
