#include "chorus/store/sqlite/schema.hpp"

namespace chorus::store::sqlite {

// messages: one row per message; (app, conv, seq) is the conversation's total
// order, (app, sender, client_msg_id) the idempotency key.
// members: who belongs to which conversation, and from which seq on.
// cursors: per device, the last seq delivered (absent: the member's joined_seq).
// reads: per user, the last seq read (read receipts, unread counts).
static constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS messages(
  app TEXT NOT NULL, conv TEXT NOT NULL, seq INTEGER NOT NULL,
  id TEXT NOT NULL, sender TEXT NOT NULL, client_msg_id TEXT NOT NULL,
  to_user TEXT NOT NULL, room TEXT NOT NULL, type TEXT NOT NULL,
  content TEXT NOT NULL, ts INTEGER NOT NULL,
  UNIQUE(app, conv, seq));
CREATE UNIQUE INDEX IF NOT EXISTS messages_idem
  ON messages(app, sender, client_msg_id) WHERE client_msg_id <> '';
CREATE TABLE IF NOT EXISTS members(
  app TEXT NOT NULL, user TEXT NOT NULL, conv TEXT NOT NULL, joined_seq INTEGER NOT NULL,
  PRIMARY KEY(app, user, conv)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_by_conv ON members(app, conv, user);
CREATE TABLE IF NOT EXISTS cursors(
  app TEXT NOT NULL, user TEXT NOT NULL, device TEXT NOT NULL, conv TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY(app, user, device, conv)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reads(
  app TEXT NOT NULL, user TEXT NOT NULL, conv TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY(app, user, conv)) WITHOUT ROWID;
)sql";

void prepare_writer(connection& c, bool full_sync) {
  c.exec("PRAGMA journal_mode=WAL");
  c.exec(full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  c.exec(schema_sql);
}

void prepare_reader(connection& c) { c.exec("PRAGMA query_only=1"); }

core::message message_from_row(const statement& q, const std::string& app) {
  core::message m;
  m.app = app;
  m.conv = q.text(0);
  m.seq = q.uint64(1);
  m.id = q.text(2);
  m.from = q.text(3);
  m.client_msg_id = q.text(4);
  m.to = q.text(5);
  m.room = q.text(6);
  m.type = q.text(7);
  m.content = q.text(8);
  m.ts_ms = q.int64(9);
  return m;
}

}  // namespace chorus::store::sqlite
