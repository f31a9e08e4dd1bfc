// The SQLite schema and connection settings. Called once per connection, on
// the thread that owns it.
#pragma once

#include "chorus/core/message.hpp"
#include "chorus/store/sqlite/statement.hpp"

namespace chorus::store::sqlite {

// Creates the tables if missing and sets WAL mode; `full_sync` picks
// synchronous=FULL (survives power loss) over NORMAL (survives process crash).
void prepare_writer(connection& c, bool full_sync);
void prepare_reader(connection& c);

// The columns a message row is read with, in this order, and the decoder.
inline constexpr const char* message_columns =
    "conv, seq, id, sender, client_msg_id, to_user, room, type, content, ts";
core::message message_from_row(const statement& q, const std::string& app);

}  // namespace chorus::store::sqlite
