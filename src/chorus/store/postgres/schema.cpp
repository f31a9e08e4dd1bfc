#include "chorus/store/postgres/schema.hpp"

namespace chorus::store::postgres {

// As in SQLite, plus `conversations`: each conversation's last seq, whose row
// lock (UPDATE ... RETURNING inside the batch transaction) makes sequence
// numbers gap-free and unique when several nodes write to one conversation.
static constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS conversations(
  app TEXT NOT NULL, conv TEXT NOT NULL, last_seq BIGINT NOT NULL,
  PRIMARY KEY(app, conv));
CREATE TABLE IF NOT EXISTS messages(
  app TEXT NOT NULL, conv TEXT NOT NULL, seq BIGINT NOT NULL,
  id TEXT NOT NULL, sender TEXT NOT NULL, client_msg_id TEXT NOT NULL,
  to_user TEXT NOT NULL, room TEXT NOT NULL, type TEXT NOT NULL,
  content TEXT NOT NULL, ts BIGINT NOT NULL,
  PRIMARY KEY(app, conv, seq));
CREATE UNIQUE INDEX IF NOT EXISTS messages_idem
  ON messages(app, sender, client_msg_id) WHERE client_msg_id <> '';
CREATE TABLE IF NOT EXISTS members(
  app TEXT NOT NULL, user_id TEXT NOT NULL, conv TEXT NOT NULL, joined_seq BIGINT NOT NULL,
  PRIMARY KEY(app, user_id, conv));
CREATE INDEX IF NOT EXISTS members_by_conv ON members(app, conv, user_id);
CREATE TABLE IF NOT EXISTS cursors(
  app TEXT NOT NULL, user_id TEXT NOT NULL, device TEXT NOT NULL, conv TEXT NOT NULL,
  seq BIGINT NOT NULL,
  PRIMARY KEY(app, user_id, device, conv));
CREATE TABLE IF NOT EXISTS reads(
  app TEXT NOT NULL, user_id TEXT NOT NULL, conv TEXT NOT NULL, seq BIGINT NOT NULL,
  PRIMARY KEY(app, user_id, conv));
)sql";

void create_schema(connection& c) {
  c.exec("SELECT pg_advisory_lock(728310)");
  try {
    c.exec(schema_sql);
  } catch (...) {
    c.exec("SELECT pg_advisory_unlock(728310)");
    throw;
  }
  c.exec("SELECT pg_advisory_unlock(728310)");
}

core::message message_from_row(const result& r, int row, const std::string& app, int first) {
  core::message m;
  m.app = app;
  m.conv = r.text(row, first);
  m.seq = r.uint64(row, first + 1);
  m.id = r.text(row, first + 2);
  m.from = r.text(row, first + 3);
  m.client_msg_id = r.text(row, first + 4);
  m.to = r.text(row, first + 5);
  m.room = r.text(row, first + 6);
  m.type = r.text(row, first + 7);
  m.content = r.text(row, first + 8);
  m.ts_ms = r.int64(row, first + 9);
  return m;
}

}  // namespace chorus::store::postgres
