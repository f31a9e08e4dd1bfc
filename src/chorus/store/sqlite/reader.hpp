// The SQLite reader: sync, history and membership queries on a connection of
// its own, so reads never wait for the writer's transaction (WAL). Owned by
// the store's reader thread; not thread-safe.
#pragma once

#include "chorus/store/sqlite/statement.hpp"
#include "chorus/store/store.hpp"

#include <memory>

namespace chorus::store::sqlite {

class reader {
 public:
  explicit reader(const std::string& path);
  ~reader();

  sync_result sync(const sync_request& r);
  history_result history(const history_request& r);
  conversations_result conversations(const std::string& app, const std::string& user);
  members_result room_members(const std::string& app, const std::string& room);
  rooms_result rooms(const std::string& app);

 private:
  void read_messages(statement& q, const std::string& app, std::vector<core::message>& out);

  connection db_;
  struct statements;
  std::unique_ptr<statements> st_;
};

}  // namespace chorus::store::sqlite
