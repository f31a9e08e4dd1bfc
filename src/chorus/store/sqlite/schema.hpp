// The SQLite schema and connection settings. Called once per connection, on
// the thread that owns it.
#pragma once

#include "chorus/store/sqlite/statement.hpp"

namespace chorus::store::sqlite {

// Creates the tables if missing and sets WAL mode; `full_sync` picks
// synchronous=FULL (survives power loss) over NORMAL (survives process crash).
void prepare_writer(connection& c, bool full_sync);
void prepare_reader(connection& c);

}  // namespace chorus::store::sqlite
