// The HTTP routes, free of Beast so they compile fast and test alone: the Go
// system's pages and user lists, health, readiness and metrics. A route
// answers through `reply`, possibly later and from another thread (store
// reads); the HTTP session brings the answer back to its own thread.
#pragma once

#include "chorus/gateway/context.hpp"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace chorus::gateway {

struct http_query {
  std::string method;
  std::string target;  // path and query, as sent
};

struct http_reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  bool no_store = true;  // Cache-Control: no-store (static files may be cached)
  std::vector<std::pair<std::string, std::string>> headers;  // more header fields
};

void handle_http(context& ctx, const http_query& q, std::function<void(http_reply)> reply);

}  // namespace chorus::gateway
