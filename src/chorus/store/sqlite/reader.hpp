// The SQLite reader: sync, history and membership queries on a connection of
// its own, so reads never wait for the writer's transaction (WAL). Owned by
// the store's reader thread; not thread-safe.
#pragma once

#include "chorus/store/sqlite/statement.hpp"
#include "chorus/store/batch.hpp"

#include <memory>

namespace chorus::store::sqlite {

class reader final : public query_reader {
 public:
  explicit reader(const std::string& path);
  ~reader() override;

  sync_result sync(const sync_request& r) override;
  history_result history(const history_request& r) override;
  conversations_result conversations(const std::string& app, const std::string& user) override;
  members_result room_members(const std::string& app, const std::string& room) override;
  rooms_result rooms(const std::string& app) override;

 private:
  void read_messages(statement& q, const std::string& app, std::vector<core::message>& out);

  connection db_;
  struct statements;
  std::unique_ptr<statements> st_;
};

}  // namespace chorus::store::sqlite
