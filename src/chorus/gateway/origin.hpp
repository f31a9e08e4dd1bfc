// The WebSocket upgrade's Origin check: a browser's Origin must be the host it
// connected to, or on the configured allow-list. No Origin header (a native or
// server-side client) is allowed: authentication, not Origin, keeps those out.
// Pure: any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chorus::gateway {

bool origin_allowed(std::string_view origin, std::string_view host, const std::vector<std::string>& allowed);

}  // namespace chorus::gateway
