// The PostgreSQL reader: sync, history and membership queries on a
// connection of its own. Owned by the store's reader thread.
#pragma once

#include "chorus/store/batch.hpp"
#include "chorus/store/postgres/connection.hpp"

namespace chorus::store::postgres {

class reader final : public query_reader {
 public:
  explicit reader(const std::string& conninfo);
  sync_result sync(const sync_request& r) override;
  std::vector<sync_result> sync_many(std::span<const sync_request* const> rs) override;
  history_result history(const history_request& r) override;
  conversations_result conversations(const std::string& app, const std::string& user) override;
  members_result room_members(const std::string& app, const std::string& room) override;
  rooms_result rooms(const std::string& app) override;

  // The sync statement and the settings of the connection it runs on
  // (planned once), and those of the other statements' connection (planned
  // at each execution); the plan test runs them on connections of its own.
  static const std::string& sync_sql();
  static void configure(connection& c);
  static void configure_sync(connection& c);

 private:
  history_result history_once(const history_request& r);
  conversations_result conversations_once(const std::string& app, const std::string& user);

  connection db_;       // history, conversations, members, rooms
  connection sync_db_;  // sync: one plan per connection, safe on any table sizes
};

}  // namespace chorus::store::postgres
