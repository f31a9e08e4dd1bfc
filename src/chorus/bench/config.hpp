// The bench's command line: a scenario and its flags, parsed into one struct,
// and the slice of users a worker process takes. Pure: any thread; parse
// errors throw std::invalid_argument with a message for the user.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chorus::bench {

struct config {
  int port_of(std::uint64_t user_index) const {
    return ports.empty() ? port : ports[user_index % ports.size()];
  }
  std::string scenario;  // connect | direct | room | recover

  // Where and how.
  std::string host = "127.0.0.1";
  int port = 8282;
  // --port P1,P2,...: several nodes; user i connects to ports[i % n] (as
  // nginx would spread them), so a pair's two users sit on different nodes.
  std::vector<int> ports;
  std::string app_id;       // empty: the server's default
  std::string prefix;       // user/room id prefix; empty: made unique per run
  int threads = 2;          // io_contexts (one per thread)
  int sources = 0;          // 0: kernel picks; K: bind to 127.0.0.2 .. 127.0.0.(K+1)
  int workers = 0;          // 0: one per 15,000 connections
  int concurrency = 256;    // connection handshakes in flight, per process
  // Handshakes started per second, in total, open loop: each is due at its
  // slot and its latency counts from then (0: as fast as --concurrency
  // allows, latency from its start).
  double connect_rate = 0;
  double timeout_s = 300;   // hard bound on the whole run
  std::string json_path;    // append the result line here
  int server_pid = 0;       // read its VmRSS before and after connecting (the first of server_pids)
  std::vector<int> server_pids;  // --server-pid A,B,...: RSS and CPU summed over them
  bool progress = true;
  std::string label;        // free text kept in the result's params (e.g. the server's sync mode)

  // connect
  std::uint64_t connections = 1000;
  double hold_s = 5;
  double heartbeat_s = 20;

  // direct / room
  std::uint64_t pairs = 100;
  std::uint64_t rooms = 10;
  std::uint64_t members = 100;
  std::uint64_t senders = 1;   // per room
  double rate = 1000;          // messages per second, total, open loop
  double duration_s = 10;
  std::size_t size = 64;       // message content bytes
  bool msg_id = true;          // send a msgId (the idempotency key) with every message
  double drain_s = 10;         // after the last send, wait this long for answers and deliveries

  // recover
  std::uint64_t users = 1000;
  std::uint64_t messages = 20;  // per user
  int window = 256;             // sends in flight while filling the inboxes

  // Set by the parent on a worker's command line.
  int worker_index = -1;  // -1: not a worker
  int worker_count = 1;

  bool is_worker() const { return worker_index >= 0; }
  // Connections this run opens in total (all workers).
  std::uint64_t total_connections() const;
};

// argv without the program name: <scenario> [--flag value | --flag=value]...
config parse_args(const std::vector<std::string>& args);
std::string usage();

// Whether `host` is an IPv4 loopback literal (127.x.y.z).
bool is_loopback(const std::string& host);

// Does worker `index` of `count` own item `i` (a pair, room or user)?
inline bool owns(std::uint64_t i, int index, int count) {
  return count <= 1 || i % static_cast<std::uint64_t>(count) == static_cast<std::uint64_t>(index);
}

}  // namespace chorus::bench
