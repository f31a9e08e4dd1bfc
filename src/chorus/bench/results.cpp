// Merging, JSON and the human table of a run's results (see results.hpp).
#include "chorus/bench/results.hpp"

#include <boost/json/value_to.hpp>

#include <cstdio>

namespace chorus::bench {

namespace json = boost::json;

void results::merge(const results& o) {
  if (scenario.empty()) scenario = o.scenario;
  if (params.empty()) params = o.params;
  for (const auto& [k, v] : o.counters) counters[k] += v;
  for (const auto& [k, v] : o.gauges) {
    auto [it, fresh] = gauges.try_emplace(k, v);
    if (fresh) continue;
    it->second = k.starts_with("cpu_") ? it->second + v : std::max(it->second, v);
  }
  for (const auto& [k, h] : o.hists) hists[k].merge(h);
}

std::uint64_t results::counter(std::string_view name) const {
  auto it = counters.find(std::string(name));
  return it == counters.end() ? 0 : it->second;
}

double results::gauge(std::string_view name) const {
  auto it = gauges.find(std::string(name));
  return it == gauges.end() ? 0.0 : it->second;
}

// A message pushed back to the connection that sent it is a duplicate to
// that client (it has the answer): a fault like the others.
std::uint64_t results::order_faults() const {
  return counter("lost") + counter("duplicated") + counter("out_of_order") + counter("own_pushes");
}

std::uint64_t results::errors() const {
  return counter("login_failed") + counter("error_responses") + counter("unanswered") +
         counter("closed_by_server") + counter("not_caught_up") + counter("timeouts") +
         counter("bogus_frames");
}

int results::exit_code() const {
  if (order_faults()) return 1;
  if (errors()) return 2;
  return 0;
}

json::object results::derived() const {
  json::object d;
  auto per_s = [](double n, double s) { return s > 0 ? n / s : 0.0; };
  double logged_in = static_cast<double>(counter("logged_in"));
  d["handshakes_per_s"] = per_s(logged_in, gauge("connect_s"));
  if (gauges.contains("rss_before_kib") && gauges.contains("rss_after_kib") && logged_in > 0)
    d["rss_bytes_per_conn"] = (gauge("rss_after_kib") - gauge("rss_before_kib")) * 1024.0 / logged_in;
  if (gauges.contains("rss_before_kib") && gauges.contains("rss_held_kib") && logged_in > 0)
    d["rss_held_bytes_per_conn"] = (gauge("rss_held_kib") - gauge("rss_before_kib")) * 1024.0 / logged_in;
  if (gauges.contains("send_s")) {
    d["sent_per_s"] = per_s(static_cast<double>(counter("sent")), gauge("send_s"));
    d["acked_per_s"] = per_s(static_cast<double>(counter("acked")), gauge("run_s"));
    d["delivered_per_s"] = per_s(static_cast<double>(counter("delivered")), gauge("run_s"));
  }
  if (gauges.contains("recover_s"))
    d["recovered_msgs_per_s"] = per_s(static_cast<double>(counter("delivered")), gauge("recover_s"));
  d["cpu_s"] = gauge("cpu_user_s") + gauge("cpu_sys_s");
  // The server's own CPU over the measured phase (--server-pid): what a
  // delivery costs it, whatever the tool on the same cores takes.
  if (double cpu = gauge("server_cpu_run_s"); cpu > 0) {
    d["server_cpu_s"] = cpu;
    if (gauges.contains("run_s") && gauge("run_s") > 0) d["server_cores"] = cpu / gauge("run_s");
    if (counter("delivered")) d["delivered_per_server_cpu_s"] = static_cast<double>(counter("delivered")) / cpu;
    if (counter("acked")) d["acked_per_server_cpu_s"] = static_cast<double>(counter("acked")) / cpu;
  }
  return d;
}

json::object results::to_json(bool with_buckets) const {
  json::object o;
  o["scenario"] = scenario;
  o["params"] = params;
  json::object c;
  for (const auto& [k, v] : counters) c[k] = v;
  o["counters"] = std::move(c);
  json::object g;
  for (const auto& [k, v] : gauges) g[k] = v;
  o["gauges"] = std::move(g);
  json::object h;
  for (const auto& [k, v] : hists) h[k] = with_buckets ? v.to_json() : v.summary();
  o["latency_us"] = std::move(h);
  o["derived"] = derived();
  return o;
}

results results::from_json(const json::object& o) {
  results r;
  r.scenario = json::value_to<std::string>(o.at("scenario"));
  if (auto* p = o.if_contains("params"); p && p->is_object()) r.params = p->get_object();
  for (const auto& [k, v] : o.at("counters").as_object()) r.counters[std::string(k)] = v.to_number<std::uint64_t>();
  for (const auto& [k, v] : o.at("gauges").as_object()) r.gauges[std::string(k)] = v.to_number<double>();
  for (const auto& [k, v] : o.at("latency_us").as_object())
    r.hists[std::string(k)] = histogram::from_json(v.as_object());
  return r;
}

std::string results::table() const {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "scenario: %s\n", scenario.c_str());
  out += line;
  for (const auto& [k, v] : counters) {
    std::snprintf(line, sizeof line, "  %-22s %14llu\n", k.c_str(), static_cast<unsigned long long>(v));
    out += line;
  }
  for (const auto& [k, v] : gauges) {
    std::snprintf(line, sizeof line, "  %-22s %14.3f\n", k.c_str(), v);
    out += line;
  }
  for (const auto& [k, v] : derived()) {
    std::snprintf(line, sizeof line, "  %-22s %14.1f\n", std::string(k).c_str(), v.to_number<double>());
    out += line;
  }
  if (!hists.empty()) {
    std::snprintf(line, sizeof line, "  %-14s %9s %9s %9s %9s %9s %9s  (ms)\n", "latency", "count", "p50",
                  "p90", "p99", "p99.9", "max");
    out += line;
    for (const auto& [k, h] : hists) {
      std::snprintf(line, sizeof line, "  %-14s %9llu %9.2f %9.2f %9.2f %9.2f %9.2f\n", k.c_str(),
                    static_cast<unsigned long long>(h.count()), h.percentile(50) / 1e3, h.percentile(90) / 1e3,
                    h.percentile(99) / 1e3, h.percentile(99.9) / 1e3, static_cast<double>(h.max()) / 1e3);
      out += line;
    }
  }
  std::snprintf(line, sizeof line,
                "  result: %s (lost %llu, duplicated %llu, out of order %llu, own pushes %llu, errors %llu)\n",
                exit_code() == 0 ? "CLEAN" : exit_code() == 1 ? "ORDER FAULTS" : "ERRORS",
                static_cast<unsigned long long>(counter("lost")),
                static_cast<unsigned long long>(counter("duplicated")),
                static_cast<unsigned long long>(counter("out_of_order")),
                static_cast<unsigned long long>(counter("own_pushes")),
                static_cast<unsigned long long>(errors()));
  out += line;
  return out;
}

}  // namespace chorus::bench
