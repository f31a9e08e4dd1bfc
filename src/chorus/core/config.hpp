// The node's configuration: one struct, filled from flags, CHORUS_* environment
// variables and an optional config file (in that order of precedence), then
// checked. Parsing throws std::runtime_error with a one-line reason; main()
// prints it and exits. Built once at startup, read-only afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chorus::core {

enum class auth_mode { open, jwt };
enum class sqlite_sync { normal, full };

struct config {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8282;
  unsigned threads = 0;  // 0: one per core
  unsigned node_id = 0;

  std::string db_path = "chorus.db";
  std::string postgres;  // libpq conninfo; set: PostgreSQL instead of SQLite
  std::string redis;     // host:port; set: join the cluster
  std::uint16_t peer_port = 8287;  // gRPC between nodes (0: any free port)
  std::string advertise;           // the address peers reach this node at; default: --listen
  unsigned node_ttl_ms = 5000;     // a node that stops refreshing drops out after this
  unsigned heartbeat_ms = 1000;
  unsigned presence_cache_ms = 500;  // staleness bound of the cached user -> nodes routes; 0: no cache
  sqlite_sync sync = sqlite_sync::full;
  std::size_t store_batch_max = 1024;

  auth_mode auth = auth_mode::open;
  std::string jwt_secret;
  std::vector<std::string> allowed_origins;  // besides the same origin
  std::vector<std::string> app_ids;          // empty: any appId
  std::string default_app_id = "101";

  std::string web_root;
  std::string vendor_root = "/usr/share";  // Debian's packaged browser libraries

  std::size_t max_frame_bytes = 64 * 1024;
  std::size_t max_message_bytes = 16 * 1024;
  std::size_t send_queue_max_frames = 4096;
  std::size_t send_queue_max_bytes = 4 * 1024 * 1024;
  std::size_t sync_batch = 500;
  unsigned idle_timeout_s = 120;
  unsigned login_timeout_s = 30;
  double rate_per_s = 50;
  double rate_burst = 100;

  std::string log_level = "info";
};

struct parse_outcome {
  config cfg;
  std::optional<std::string> exit_text;  // --help / --version: print and exit 0
};

// Parses argv and the environment; throws std::runtime_error on a bad value or
// an unsafe combination (e.g. open auth on a public address).
parse_outcome parse_config(int argc, const char* const* argv);

// Throws if the configuration is unsafe or inconsistent.
void check_config(const config& cfg);

bool is_loopback(const std::string& address);

}  // namespace chorus::core
