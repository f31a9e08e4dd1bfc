#include "chorus/store/postgres/writer.hpp"

#include "chorus/core/clock.hpp"
#include "chorus/core/ids.hpp"
#include "chorus/store/postgres/schema.hpp"

#include <spdlog/spdlog.h>

namespace chorus::store::postgres {

writer::writer(const std::string& conninfo, unsigned node_id) : db_(conninfo), ids_(node_id) {
  create_schema(db_);
  db_.prepare("find_idem", (std::string("SELECT ") + message_columns +
                            " FROM messages WHERE app=$1 AND sender=$2 AND client_msg_id=$3 AND client_msg_id <> ''")
                               .c_str());
  db_.prepare("is_member", "SELECT 1 FROM members WHERE app=$1 AND user_id=$2 AND conv=$3");
  db_.prepare("next_seq",
              "INSERT INTO conversations(app, conv, last_seq) VALUES($1, $2, 1) "
              "ON CONFLICT(app, conv) DO UPDATE SET last_seq = conversations.last_seq + 1 RETURNING last_seq");
  db_.prepare("last_seq", "SELECT last_seq FROM conversations WHERE app=$1 AND conv=$2");
  db_.prepare("insert_msg",
              "INSERT INTO messages(app, conv, seq, id, sender, client_msg_id, to_user, room, type, content, ts) "
              "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)");
  db_.prepare("member_seq", "SELECT joined_seq FROM members WHERE app=$1 AND user_id=$2 AND conv=$3");
  db_.prepare("add_member",
              "INSERT INTO members(app, user_id, conv, joined_seq) VALUES($1,$2,$3,$4) ON CONFLICT DO NOTHING");
  db_.prepare("del_member", "DELETE FROM members WHERE app=$1 AND user_id=$2 AND conv=$3");
  db_.prepare("put_cursor",
              "INSERT INTO cursors(app, user_id, device, conv, seq) VALUES($1,$2,$3,$4,$5) "
              "ON CONFLICT(app, user_id, device, conv) DO UPDATE SET seq = GREATEST(cursors.seq, excluded.seq)");
  db_.prepare("put_read",
              "INSERT INTO reads(app, user_id, conv, seq) VALUES($1,$2,$3,$4) "
              "ON CONFLICT(app, user_id, conv) DO UPDATE SET seq = GREATEST(reads.seq, excluded.seq)");
}

void writer::apply(append_op& op) {
  auto& m = op.req.msg;
  if (!m.client_msg_id.empty()) {
    auto r = db_.run("find_idem", m.app, m.from, m.client_msg_id);
    if (r.rows() > 0) {
      op.res.duplicate = true;
      op.res.msg = message_from_row(r, 0, m.app);
      return;
    }
  }
  if (op.req.require_member && db_.run("is_member", m.app, m.from, m.conv).rows() == 0) {
    op.res.st = status::not_member;
    return;
  }
  // The row lock taken here is held to the commit: a concurrent writer of
  // the same conversation (another node) waits, then gets the next number.
  m.seq = db_.run("next_seq", m.app, m.conv).uint64(0, 0);
  if (m.seq == 1 && !core::is_room_conv(m.conv)) {
    db_.run("add_member", m.app, m.from, m.conv, std::uint64_t{0});
    db_.run("add_member", m.app, m.to, m.conv, std::uint64_t{0});
  }
  m.id = core::snowflake::to_string(ids_.next());
  m.ts_ms = core::unix_ms();
  db_.run("insert_msg", m.app, m.conv, m.seq, m.id, m.from, m.client_msg_id, m.to, m.room, m.type, m.content,
          m.ts_ms);
  // What one writes, one has read: one's own messages are never unread.
  db_.run("put_read", m.app, m.from, m.conv, m.seq);
  op.res.msg = m;
}

void writer::apply(join_op& op) {
  auto conv = core::room_conv(op.room);
  auto existing = db_.run("member_seq", op.app, op.user, conv);
  if (existing.rows() > 0) {
    op.res.joined_seq = existing.uint64(0, 0);
    return;
  }
  auto last = db_.run("last_seq", op.app, conv);
  op.res.joined = true;
  op.res.joined_seq = last.rows() > 0 ? last.uint64(0, 0) : 0;
  db_.run("add_member", op.app, op.user, conv, op.res.joined_seq);
}

void writer::apply(leave_op& op) {
  auto conv = core::room_conv(op.room);
  op.res.left = db_.run("member_seq", op.app, op.user, conv).rows() > 0;
  if (op.res.left) db_.run("del_member", op.app, op.user, conv);
}

bool writer::run(std::vector<write_op>& ops, const cursor_map& cursors, const read_map& reads) {
  try {
    db_.exec("BEGIN");
    for (auto& op : ops) std::visit([this](auto& o) { apply(o); }, op);
    for (auto& [k, seq] : cursors) {
      auto& [app, user, device, conv] = k;
      db_.run("put_cursor", app, user, device, conv, seq);
    }
    for (auto& [k, seq] : reads) {
      auto& [app, user, conv] = k;
      db_.run("put_read", app, user, conv, seq);
    }
    db_.exec("COMMIT");
    return true;
  } catch (const pg_error& e) {
    spdlog::error("store: batch of {} writes failed and was rolled back: {}", ops.size(), e.what());
    try {
      db_.exec("ROLLBACK");
    } catch (const pg_error&) {
      // The connection is gone; the next batch fails too until it returns.
    }
    for (auto& op : ops)
      std::visit([](auto& o) { o.res = {}; o.res.st = status::error; }, op);
    return false;
  }
}

}  // namespace chorus::store::postgres
