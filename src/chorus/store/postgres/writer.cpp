#include "chorus/store/postgres/writer.hpp"

#include "chorus/core/clock.hpp"
#include "chorus/core/ids.hpp"
#include "chorus/store/postgres/schema.hpp"

#include <spdlog/spdlog.h>

#include <set>
#include <utility>

namespace chorus::store::postgres {

namespace {

// Locks the conversations a batch appends to, creating the missing rows with
// last_seq 0, in one order (by key) on every node. Without it each append
// locked its conversation where it came in the batch, and two nodes whose
// batches met two conversations in opposite orders deadlocked: one batch
// failed. `WHERE false`: the rows are locked, not updated.
constexpr const char* lock_conversations_sql =
    "INSERT INTO conversations(app, conv, last_seq) "
    "SELECT app, conv, 0 FROM unnest($1::text[], $2::text[]) AS t(app, conv) ORDER BY app, conv "
    "ON CONFLICT(app, conv) DO UPDATE SET last_seq = excluded.last_seq WHERE false";

// One append, decided on the server. Parameters: $1 app, $2 conv, $3 id,
// $4 sender, $5 client_msg_id, $6 to_user, $7 room, $8 type, $9 content,
// $10 ts, $11 whether the sender must be a member, $12 whether it is a
// direct conversation (its first message makes both ends members).
// Answers one row: the first message and `true` for a duplicate; the new
// seq (column 1) and `false` for a stored message; no row: not a member.
// The conversations upsert takes the row lock (already held: see above) and
// returns the next number; the data-modifying CTEs run even though the
// final SELECT reads only some of them.
constexpr const char* append_sql = R"sql(
WITH dup AS (
  SELECT conv, seq, id, sender, client_msg_id, to_user, room, type, content, ts FROM messages
  WHERE app = $1::text AND sender = $4::text AND client_msg_id = $5::text AND client_msg_id <> ''),
allowed AS (
  SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM dup)
    AND (NOT $11::boolean OR EXISTS (SELECT 1 FROM members WHERE app = $1 AND user_id = $4 AND conv = $2::text))),
next AS (
  INSERT INTO conversations(app, conv, last_seq) SELECT $1, $2, 1 FROM allowed
  ON CONFLICT(app, conv) DO UPDATE SET last_seq = conversations.last_seq + 1
  RETURNING last_seq AS seq),
stored AS (
  INSERT INTO messages(app, conv, seq, id, sender, client_msg_id, to_user, room, type, content, ts)
  SELECT $1, $2, seq, $3::text, $4, $5, $6::text, $7::text, $8::text, $9::text, $10::bigint FROM next
  RETURNING seq),
new_members AS (
  INSERT INTO members(app, user_id, conv, joined_seq)
  SELECT $1, u, $2, 0 FROM next, unnest(ARRAY[$4, $6]) AS u WHERE next.seq = 1 AND $12::boolean
  ON CONFLICT DO NOTHING),
own_read AS (  -- what one writes, one has read: one's own messages are never unread
  INSERT INTO reads(app, user_id, conv, seq) SELECT $1, $4, $2, seq FROM next
  ON CONFLICT(app, user_id, conv) DO UPDATE SET seq = GREATEST(reads.seq, excluded.seq))
SELECT conv, seq, id, sender, client_msg_id, to_user, room, type, content, ts, true FROM dup
UNION ALL
SELECT NULL, seq, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false FROM stored
)sql";

// Answers one row: joined_seq, and whether the user joined now (false: was
// a member already). A new member starts after the conversation's last seq.
constexpr const char* join_sql = R"sql(
WITH old AS (
  SELECT joined_seq FROM members WHERE app = $1::text AND user_id = $2::text AND conv = $3::text),
fresh AS (
  SELECT COALESCE((SELECT last_seq FROM conversations WHERE app = $1 AND conv = $3), 0) AS joined_seq
  WHERE NOT EXISTS (SELECT 1 FROM old)),
added AS (
  INSERT INTO members(app, user_id, conv, joined_seq) SELECT $1, $2, $3, joined_seq FROM fresh
  ON CONFLICT DO NOTHING)
SELECT joined_seq, false FROM old
UNION ALL
SELECT joined_seq, true FROM fresh
)sql";

}  // namespace

writer::writer(const std::string& conninfo, unsigned node_id) : db_(conninfo), ids_(node_id) {
  create_schema(db_);
  // Plan each statement once. Left to choose, PostgreSQL kept planning the
  // append afresh at every execution, which cost more than running it; its
  // generic plan uses the same indexes (every lookup is by key).
  db_.setting("SET plan_cache_mode = force_generic_plan");
  db_.prepare("lock_conversations", lock_conversations_sql);
  db_.prepare("append", append_sql);
  db_.prepare("join", join_sql);
  db_.prepare("leave", "DELETE FROM members WHERE app=$1 AND user_id=$2 AND conv=$3 RETURNING 1");
  db_.prepare("put_cursor",
              "INSERT INTO cursors(app, user_id, device, conv, seq) VALUES($1,$2,$3,$4,$5) "
              "ON CONFLICT(app, user_id, device, conv) DO UPDATE SET seq = GREATEST(cursors.seq, excluded.seq)");
  db_.prepare("put_read",
              "INSERT INTO reads(app, user_id, conv, seq) VALUES($1,$2,$3,$4) "
              "ON CONFLICT(app, user_id, conv) DO UPDATE SET seq = GREATEST(reads.seq, excluded.seq)");
}

void writer::send(pipeline& p, append_op& op) {
  auto& m = op.req.msg;
  // Chosen here, used only if the message is stored.
  m.id = core::snowflake::to_string(ids_.next());
  if (!m.ts_ms) m.ts_ms = core::unix_ms();
  p.send("append", m.app, m.conv, m.id, m.from, m.client_msg_id, m.to, m.room, m.type, m.content, m.ts_ms,
         op.req.require_member, !core::is_room_conv(m.conv));
}

void writer::take(const result& r, append_op& op) {
  auto& m = op.req.msg;
  if (r.rows() == 0) {
    op.res.st = status::not_member;
  } else if (r.boolean(0, 10)) {
    op.res.duplicate = true;
    op.res.msg = message_from_row(r, 0, m.app);
  } else {
    m.seq = r.uint64(0, 1);
    op.res.msg = m;
  }
}

void writer::send(pipeline& p, join_op& op) { p.send("join", op.app, op.user, core::room_conv(op.room)); }

void writer::take(const result& r, join_op& op) {
  op.res.joined_seq = r.uint64(0, 0);
  op.res.joined = r.boolean(0, 1);
}

void writer::send(pipeline& p, leave_op& op) { p.send("leave", op.app, op.user, core::room_conv(op.room)); }

void writer::take(const result& r, leave_op& op) { op.res.left = r.rows() > 0; }

bool writer::run(std::vector<write_op>& ops, const cursor_map& cursors, const read_map& reads) {
  try {
    // After a lost connection (the batch it failed was reported failed:
    // whether its commit happened is unknown, so it is not run again).
    if (!db_.reopen_if_lost()) throw pg_error("no connection to PostgreSQL");
    // No BEGIN or COMMIT: the statements of a pipeline, up to its sync,
    // are one transaction (the extended protocol's implicit block),
    // committed at the sync if all succeeded and rolled back if one failed
    // (the rest are skipped). Two statements fewer per batch, of ~5 when
    // batches are small.
    pipeline p(db_);
    std::set<std::pair<std::string, std::string>> convs;
    for (auto& op : ops)
      if (auto* a = std::get_if<append_op>(&op)) convs.emplace(a->req.msg.app, a->req.msg.conv);
    // With one conversation there is one lock to take, and no order.
    bool lock = convs.size() > 1;
    if (lock) {
      std::vector<std::string> apps, names;
      for (auto& [app, conv] : convs) {
        apps.push_back(app);
        names.push_back(conv);
      }
      p.send("lock_conversations", text_array(apps), text_array(names));
    }
    for (auto& op : ops) std::visit([&](auto& o) { send(p, o); }, op);
    for (auto& [k, seq] : cursors) {
      auto& [app, user, device, conv] = k;
      p.send("put_cursor", app, user, device, conv, seq);
    }
    for (auto& [k, seq] : reads) {
      auto& [app, user, conv] = k;
      p.send("put_read", app, user, conv, seq);
    }
    p.sync();

    // The results, in the order sent; the first failure throws.
    if (lock) p.next();
    for (auto& op : ops) std::visit([&](auto& o) { take(p.next(), o); }, op);
    for (std::size_t i = 0; i < cursors.size() + reads.size(); ++i) p.next();
    p.commit();
    return true;
  } catch (const pg_error& e) {
    // Rolled back: by the sync after a failed statement, or by the
    // pipeline's end if it was left before its sync. A lost connection is
    // opened again by the next batch.
    spdlog::error("store: batch of {} writes failed and was rolled back: {}", ops.size(), e.what());
    for (auto& op : ops)
      std::visit([](auto& o) { o.res = {}; o.res.st = status::error; }, op);
    return false;
  }
}

}  // namespace chorus::store::postgres
