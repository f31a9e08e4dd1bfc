// Response codes of the wire protocol (docs/protocol.md) and WebSocket close
// codes. 200 and 1000-1011 are the Go system's; ours continue from 1012.
// Pure data: any thread.
#pragma once

#include <string_view>

namespace chorus::core {

enum class code : int {
  ok = 200,
  not_logged_in = 1000,
  bad_parameter = 1001,
  bad_user_id = 1002,
  unauthorized = 1003,
  server_error = 1004,
  no_data = 1005,
  store_error = 1008,
  operation_failed = 1009,
  unknown_action = 1010,
  unknown_app_id = 1011,
  rate_limited = 1012,
  too_large = 1013,
  not_member = 1014,
  already_logged_in = 1015,
  malformed_frame = 1016,
};

// The short human text sent as `msg` with each code.
std::string_view code_text(code c) noexcept;

// WebSocket close codes (RFC 6455 section 7.4; 4000-4999 are ours).
namespace close_code {
inline constexpr unsigned short going_away = 1001;      // node shutting down
inline constexpr unsigned short unsupported = 1003;     // binary frame
inline constexpr unsigned short policy = 1008;          // flood after rate limiting
inline constexpr unsigned short idle_timeout = 4000;    // no frame within the idle timeout
inline constexpr unsigned short slow_consumer = 4001;   // send queue overflowed
inline constexpr unsigned short login_timeout = 4002;   // no login within the login timeout
}  // namespace close_code

}  // namespace chorus::core
