// The bench's flag table, its checks, and the usage text (see config.hpp).
#include "chorus/bench/config.hpp"

#include <boost/asio/ip/address_v4.hpp>

#include <functional>
#include <map>
#include <stdexcept>

namespace chorus::bench {

std::uint64_t config::total_connections() const {
  if (scenario == "connect") return connections;
  if (scenario == "direct") return 2 * pairs;
  if (scenario == "room") return rooms * members;
  if (scenario == "recover") return users + 1;
  return 0;
}

bool is_loopback(const std::string& host) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address_v4(host, ec);
  return !ec && a.is_loopback();
}

std::string usage() {
  return R"(usage: chorus-bench <connect|direct|room|recover> [flags]
common:  --host 127.0.0.1 --port 8282[,8283,...] (users spread over the ports) --app-id ID
         --prefix P --threads 2 --sources K
         --workers W (0: one per 15000 connections) --concurrency 256 --timeout 300
         --connect-rate H/S (handshakes due per second, open loop; 0: as fast as --concurrency allows)
         --json FILE (append one result line) --label TEXT --server-pid PID[,PID...] (their RSS and CPU)
         --no-progress
connect: --connections N --hold S --heartbeat S
direct:  --pairs P --rate MSGS/S --duration S --size BYTES --drain S --no-msg-id
room:    --rooms R --members M --senders S(per room) --rate MSGS/S --duration S --size BYTES --drain S
recover: --users N --messages K --window W
exit:    0 clean; 1 a message lost, duplicated or out of order; 2 errors or timeouts
)";
}

namespace {

double to_double(const std::string& name, const std::string& v) {
  try {
    std::size_t used = 0;
    double d = std::stod(v, &used);
    if (used != v.size() || d < 0) throw std::invalid_argument("");
    return d;
  } catch (const std::exception&) {
    throw std::invalid_argument("--" + name + ": not a non-negative number: " + v);
  }
}

std::uint64_t to_count(const std::string& name, const std::string& v) {
  try {
    std::size_t used = 0;
    auto n = std::stoull(v, &used);
    if (used != v.size() || v.starts_with('-')) throw std::invalid_argument("");
    return n;
  } catch (const std::exception&) {
    throw std::invalid_argument("--" + name + ": not a count: " + v);
  }
}

}  // namespace

config parse_args(const std::vector<std::string>& args) {
  if (args.empty()) throw std::invalid_argument("no scenario given");
  config c;
  c.scenario = args[0];
  if (c.scenario != "connect" && c.scenario != "direct" && c.scenario != "room" && c.scenario != "recover")
    throw std::invalid_argument("unknown scenario: " + c.scenario);

  using setter = std::function<void(const std::string&, const std::string&)>;
  auto count = [](auto& field) -> setter {
    return [&field](const std::string& n, const std::string& v) { field = static_cast<std::remove_reference_t<decltype(field)>>(to_count(n, v)); };
  };
  auto real = [](double& field) -> setter {
    return [&field](const std::string& n, const std::string& v) { field = to_double(n, v); };
  };
  auto counts = [](std::vector<int>& field) -> setter {
    return [&field](const std::string& n, const std::string& v) {
      field.clear();
      std::size_t start = 0;
      for (;;) {
        auto comma = v.find(',', start);
        field.push_back(static_cast<int>(to_count(n, v.substr(start, comma - start))));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    };
  };
  auto text = [](std::string& field) -> setter {
    return [&field](const std::string&, const std::string& v) { field = v; };
  };
  std::map<std::string, setter> flags = {
      {"host", text(c.host)},           {"port", counts(c.ports)},
      {"app-id", text(c.app_id)},       {"prefix", text(c.prefix)},
      {"threads", count(c.threads)},    {"sources", count(c.sources)},
      {"workers", count(c.workers)},    {"concurrency", count(c.concurrency)},
      {"timeout", real(c.timeout_s)},   {"json", text(c.json_path)},
      {"connect-rate", real(c.connect_rate)},
      {"label", text(c.label)},
      {"server-pid", counts(c.server_pids)},
      {"connections", count(c.connections)}, {"hold", real(c.hold_s)},
      {"heartbeat", real(c.heartbeat_s)},
      {"pairs", count(c.pairs)},        {"rooms", count(c.rooms)},
      {"members", count(c.members)},    {"senders", count(c.senders)},
      {"rate", real(c.rate)},           {"duration", real(c.duration_s)},
      {"size", count(c.size)},          {"drain", real(c.drain_s)},
      {"users", count(c.users)},        {"messages", count(c.messages)},
      {"window", count(c.window)},
      {"worker-index", count(c.worker_index)}, {"worker-count", count(c.worker_count)},
  };

  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--no-progress") {
      c.progress = false;
      continue;
    }
    if (a == "--no-msg-id") {
      c.msg_id = false;
      continue;
    }
    if (!a.starts_with("--")) throw std::invalid_argument("unexpected argument: " + a);
    a = a.substr(2);
    std::string value;
    if (auto eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) throw std::invalid_argument("--" + a + " needs a value");
      value = args[++i];
    }
    auto it = flags.find(a);
    if (it == flags.end()) throw std::invalid_argument("unknown flag: --" + a);
    it->second(a, value);
  }

  if (!is_loopback(c.host)) throw std::invalid_argument("refusing a non-loopback target: " + c.host);
  if (!c.ports.empty()) c.port = c.ports.front();
  for (int p : c.ports.empty() ? std::vector<int>{c.port} : c.ports)
    if (p <= 0 || p > 65535) throw std::invalid_argument("--port out of range");
  if (!c.server_pids.empty()) c.server_pid = c.server_pids.front();
  for (int p : c.server_pids)
    if (p <= 0) throw std::invalid_argument("--server-pid must be a process id");
  if (c.threads < 1 || c.threads > 64) throw std::invalid_argument("--threads must be 1..64");
  if (c.sources > 250) throw std::invalid_argument("--sources must be at most 250");
  if (c.concurrency < 1) throw std::invalid_argument("--concurrency must be at least 1");
  if (c.window < 1) throw std::invalid_argument("--window must be at least 1");
  if (c.timeout_s <= 0) throw std::invalid_argument("--timeout must be positive");
  if (c.worker_count < 1) throw std::invalid_argument("--worker-count must be at least 1");
  if (c.scenario == "room" && (c.senders > c.members || c.members == 0))
    throw std::invalid_argument("--senders must be at most --members");
  if ((c.scenario == "direct" || c.scenario == "room") && c.rate <= 0)
    throw std::invalid_argument("--rate must be positive");
  if (c.total_connections() == 0) throw std::invalid_argument("nothing to connect");
  return c;
}

}  // namespace chorus::bench
