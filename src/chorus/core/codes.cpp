#include "chorus/core/codes.hpp"

namespace chorus::core {

std::string_view code_text(code c) noexcept {
  switch (c) {
    case code::ok: return "Success";
    case code::not_logged_in: return "not logged in";
    case code::bad_parameter: return "bad parameter";
    case code::bad_user_id: return "bad user id";
    case code::unauthorized: return "unauthorized";
    case code::server_error: return "server error";
    case code::no_data: return "no data";
    case code::store_error: return "store error";
    case code::operation_failed: return "operation failed";
    case code::unknown_action: return "unknown action";
    case code::unknown_app_id: return "unknown appId";
    case code::rate_limited: return "rate limited";
    case code::too_large: return "too large";
    case code::not_member: return "not a member";
    case code::already_logged_in: return "already logged in";
    case code::malformed_frame: return "malformed frame";
  }
  return "error";
}

}  // namespace chorus::core
