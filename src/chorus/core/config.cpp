#include "chorus/core/config.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef CHORUS_DEFAULT_WEB_ROOT
#define CHORUS_DEFAULT_WEB_ROOT "web"
#endif

namespace chorus::core {

namespace po = boost::program_options;

bool is_loopback(const std::string& address) {
  if (address == "localhost") return true;
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(address, ec);
  return !ec && a.is_loopback();
}

void check_config(const config& cfg) {
  bool loopback = is_loopback(cfg.listen_address);
  if (cfg.auth == auth_mode::open && !loopback)
    throw std::runtime_error("refusing to listen on " + cfg.listen_address +
                             " with --auth=open: anyone could claim any user id; use --auth=jwt "
                             "--jwt-secret=... or listen on 127.0.0.1");
  if (cfg.auth == auth_mode::jwt && cfg.jwt_secret.empty() && !loopback)
    throw std::runtime_error("refusing to listen on " + cfg.listen_address +
                             " without --jwt-secret: a public node must verify who its users are");
  if (cfg.auth == auth_mode::jwt && cfg.jwt_secret.size() < 16)
    throw std::runtime_error("--auth=jwt needs --jwt-secret of at least 16 bytes");
  if (cfg.max_message_bytes + 1024 > cfg.max_frame_bytes)
    throw std::runtime_error("--max-frame-bytes must exceed --max-message-bytes by at least 1024");
  if (cfg.max_frame_bytes > 64 * 1024 * 1024) throw std::runtime_error("--max-frame-bytes is at most 64 MiB");
  if (cfg.rate_per_s <= 0 || cfg.rate_burst < 1)
    throw std::runtime_error("--rate and --burst must be positive");
  if (cfg.node_id > 1023) throw std::runtime_error("--node-id must be 0..1023");
  if (!cfg.redis.empty() && cfg.postgres.empty())
    throw std::runtime_error("--redis (a cluster) needs --postgres: the nodes must share one store");
  if (!cfg.redis.empty() && cfg.redis.find(':') == std::string::npos)
    throw std::runtime_error("--redis must be host:port");
  if (!cfg.redis.empty() && cfg.heartbeat_ms * 2 > cfg.node_ttl_ms)
    throw std::runtime_error("--node-ttl-ms must be at least twice --heartbeat-ms");
  if (cfg.presence_cache_ms > 3'600'000)
    throw std::runtime_error("--presence-cache-ms must be at most 3600000 (an hour)");
}

parse_outcome parse_config(int argc, const char* const* argv) {
  parse_outcome out;
  config& c = out.cfg;
  std::string auth, sync, config_file;
  po::options_description d("chorusd options (each also as CHORUS_<NAME> in the environment)");
  // clang-format off
  d.add_options()
    ("help,h", "print this help and exit")
    ("version", "print the version and exit")
    ("config", po::value(&config_file), "read options from this file (name = value lines)")
    ("listen", po::value(&c.listen_address)->default_value(c.listen_address), "address for HTTP and WebSocket")
    ("port", po::value(&c.port)->default_value(c.port), "port for HTTP and WebSocket (0: any free port)")
    ("threads", po::value(&c.threads)->default_value(c.threads), "shards (event-loop threads); 0: one per core")
    ("node-id", po::value(&c.node_id)->default_value(c.node_id), "0..1023, part of every message id")
    ("db", po::value(&c.db_path)->default_value(c.db_path), "SQLite database file")
    ("postgres", po::value(&c.postgres), "PostgreSQL instead of SQLite: a libpq conninfo or URI (\"host=127.0.0.1 dbname=chorus\")")
    ("redis", po::value(&c.redis), "join a cluster: Redis at host:port (node registry and presence)")
    ("peer-port", po::value(&c.peer_port)->default_value(c.peer_port), "gRPC port for the other nodes (cluster; 0: any free port)")
    ("advertise", po::value(&c.advertise), "address the other nodes reach this one at (default: --listen)")
    ("node-ttl-ms", po::value(&c.node_ttl_ms)->default_value(c.node_ttl_ms), "a node that stops refreshing its entry drops out after this")
    ("heartbeat-ms", po::value(&c.heartbeat_ms)->default_value(c.heartbeat_ms), "how often a node refreshes its entry in Redis")
    ("presence-cache-ms", po::value(&c.presence_cache_ms)->default_value(c.presence_cache_ms), "cached user -> nodes routes miss no presence change published longer ago than this (PINGs on the subscription check it); 0: ask Redis per message")
    ("sqlite-sync", po::value(&sync)->default_value("full"), "full (survives power loss) or normal (survives process crash)")
    ("store-batch-max", po::value(&c.store_batch_max)->default_value(c.store_batch_max), "most writes in one store transaction")
    ("auth", po::value(&auth), "open (trust userId; loopback only) or jwt; default: open on loopback, jwt elsewhere")
    ("jwt-secret", po::value(&c.jwt_secret), "HS256 secret for --auth=jwt")
    ("allowed-origin", po::value(&c.allowed_origins)->composing(), "an Origin allowed besides the same origin (repeatable)")
    ("app-id", po::value(&c.app_ids)->composing(), "an allowed appId (repeatable); none given: any")
    ("default-app-id", po::value(&c.default_app_id)->default_value(c.default_app_id), "appId of a login that names none")
    ("web-root", po::value(&c.web_root)->default_value(CHORUS_DEFAULT_WEB_ROOT), "folder of the web pages")
    ("vendor-root", po::value(&c.vendor_root)->default_value(c.vendor_root), "where Debian's marked and DOMPurify live (/vendor/ in the web app)")
    ("max-frame-bytes", po::value(&c.max_frame_bytes)->default_value(c.max_frame_bytes), "largest WebSocket message accepted")
    ("max-message-bytes", po::value(&c.max_message_bytes)->default_value(c.max_message_bytes), "largest chat message content")
    ("send-queue-frames", po::value(&c.send_queue_max_frames)->default_value(c.send_queue_max_frames), "frames queued for a slow reader before it is closed")
    ("send-queue-bytes", po::value(&c.send_queue_max_bytes)->default_value(c.send_queue_max_bytes), "bytes queued for a slow reader before it is closed")
    ("sync-batch", po::value(&c.sync_batch)->default_value(c.sync_batch), "messages read per sync step")
    ("idle-timeout", po::value(&c.idle_timeout_s)->default_value(c.idle_timeout_s), "seconds without a frame before a connection is closed")
    ("login-timeout", po::value(&c.login_timeout_s)->default_value(c.login_timeout_s), "seconds to log in after connecting")
    ("rate", po::value(&c.rate_per_s)->default_value(c.rate_per_s), "frames per second per connection")
    ("burst", po::value(&c.rate_burst)->default_value(c.rate_burst), "frames a connection may send at once")
    ("log-level", po::value(&c.log_level)->default_value(c.log_level), "trace, debug, info, warn, error");
  // clang-format on

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, d), vm);
    po::store(po::parse_environment(d,
                                    [&d](const std::string& env) -> std::string {
                                      if (!env.starts_with("CHORUS_")) return {};
                                      std::string name = env.substr(7);
                                      for (auto& ch : name) ch = ch == '_' ? '-' : static_cast<char>(std::tolower(ch));
                                      return d.find_nothrow(name, false) ? name : std::string{};
                                    }),
              vm);
    if (vm.count("config")) {
      std::ifstream in(vm["config"].as<std::string>());
      if (!in) throw std::runtime_error("cannot read config file " + vm["config"].as<std::string>());
      po::store(po::parse_config_file(in, d), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw std::runtime_error(e.what());
  }
  if (vm.count("help")) {
    std::ostringstream s;
    s << d;
    out.exit_text = s.str();
    return out;
  }
  if (vm.count("version")) {
    out.exit_text = "chorusd 0.1.0\n";
    return out;
  }

  if (sync == "full") c.sync = sqlite_sync::full;
  else if (sync == "normal") c.sync = sqlite_sync::normal;
  else throw std::runtime_error("--sqlite-sync must be full or normal, not '" + sync + "'");

  if (auth.empty()) {
    c.auth = is_loopback(c.listen_address) && c.jwt_secret.empty() ? auth_mode::open : auth_mode::jwt;
  } else if (auth == "open") {
    c.auth = auth_mode::open;
  } else if (auth == "jwt") {
    c.auth = auth_mode::jwt;
  } else {
    throw std::runtime_error("--auth must be open or jwt, not '" + auth + "'");
  }
  if (c.advertise.empty()) c.advertise = c.listen_address;
  if (c.threads == 0) c.threads = std::max(1u, std::thread::hardware_concurrency());
  check_config(c);
  return out;
}

}  // namespace chorus::core
