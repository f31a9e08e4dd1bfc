// The PostgreSQL schema, created (if missing) under an advisory lock so that
// several nodes starting at once do not race. One thread per connection.
#pragma once

#include "chorus/core/message.hpp"
#include "chorus/store/postgres/connection.hpp"

namespace chorus::store::postgres {

void create_schema(connection& c);

inline constexpr const char* message_columns =
    "conv, seq, id, sender, client_msg_id, to_user, room, type, content, ts";
// The message whose columns (message_columns) start at column `first`.
core::message message_from_row(const result& r, int row, const std::string& app, int first = 0);

}  // namespace chorus::store::postgres
