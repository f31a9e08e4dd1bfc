// What every part of the gateway shares, built once by the server at startup
// and read-only afterwards (the members it points to are thread-safe).
#pragma once

#include "chorus/chat/metrics.hpp"
#include "chorus/chat/service.hpp"
#include "chorus/core/config.hpp"
#include "chorus/gateway/auth.hpp"

#include <atomic>
#include <functional>
#include <string>

namespace chorus::gateway {

struct context {
  context(const core::config& c, chat::service& s, chat::metrics& m) : cfg(c), chat(s), metrics(m), auth(c) {}

  const core::config& cfg;
  chat::service& chat;
  chat::metrics& metrics;
  authenticator auth;
  std::atomic<bool> ready{false};
  std::function<std::string()> health;  // a line on what is degraded (cluster), for /readyz
};

}  // namespace chorus::gateway
