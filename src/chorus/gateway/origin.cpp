#include "chorus/gateway/origin.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>

namespace chorus::gateway {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}
}  // namespace

bool origin_allowed(std::string_view origin, std::string_view host, const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  for (auto& a : allowed)
    if (a == "*" || iequals(a, origin)) return true;
  auto u = boost::urls::parse_uri(origin);
  if (!u || (u->scheme() != "http" && u->scheme() != "https")) return false;
  // "http://host:port" names the same server as a Host header of "host:port".
  return !host.empty() && iequals(u->encoded_authority(), host);
}

}  // namespace chorus::gateway
