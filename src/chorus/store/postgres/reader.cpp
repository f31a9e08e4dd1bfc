#include "chorus/store/postgres/reader.hpp"

#include "chorus/core/ids.hpp"
#include "chorus/store/postgres/schema.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace chorus::store::postgres {

namespace {
std::string select_messages(const char* tail) {
  return std::string("SELECT ") + message_columns + " FROM messages " + tail;
}
void append_rows(const result& r, const std::string& app, std::vector<core::message>& out) {
  for (int i = 0; i < r.rows(); ++i) out.push_back(message_from_row(r, i, app));
}

// Runs a read on `c`; if the connection was lost (PostgreSQL restarted, its
// backend ended), opens it again and runs the read once more: a read may
// run twice, and the first one after the loss would fail otherwise.
template <class F>
auto reading(connection& c, F f) {
  if (!c.reopen_if_lost()) throw pg_error("no connection to PostgreSQL");
  try {
    return f();
  } catch (const pg_error&) {
    if (c.usable() || !c.reopen_if_lost()) throw;
    return f();
  }
}
}  // namespace

// Syncs in one statement (one snapshot, one round trip, one executor start
// however many users): the requests ($1-$6, numbered by ordinality; $6 holds
// the positions the session has, as a JSON object conversation -> seq), each
// user's conversations with the point delivery starts after (the join point,
// and what the session says it has or else, if the request resumes its
// device, that device's cursor: see store::sync_from), and after each, up to
// the request's limit of its messages in convSeq order; a conversation with
// none comes once with NULL message columns. Each conversation reads at most
// that many rows, so a page costs at most that many per conversation even
// when the first fills it, and only a page's worth per request leaves the
// server (with one row per conversation past it, which the caller needs to
// place every conversation): a batch of users in many busy conversations
// would otherwise send each a page per conversation. The positions are
// looked up in the JSON, not joined: a join planned for a few of them, met
// with a few thousand (a user in many conversations, times the users of a
// batch), would compare every pair.
//
// Its plan is made once per connection (sync_db_), and so may be made on
// empty tables (a fresh cluster's first logins) and kept as they grow. So
// every lookup is one the planner cannot turn into a scan: each request's
// members, each conversation's start point (with its cursor) and each
// conversation's messages are LATERAL subqueries, run per row as index
// lookups by key (OFFSET 0 keeps the first two from being flattened into
// joins, which a plan for empty tables would make hash joins over whole
// tables). Planned afresh at every execution instead, it cost PostgreSQL
// 28% of its time in a recovery of users coming back 64 at a time, where a
// statement serves one or two syncs.
const std::string& reader::sync_sql() {
  static const std::string sql =
      std::string(
          "SELECT i, c_conv, c_seq, conv, seq, id, sender, client_msg_id, to_user, room, type, content, ts FROM ("
          " SELECT r.i, r.lim, m.conv AS c_conv, s.seq AS c_seq, x.*,"
          "  row_number() OVER (PARTITION BY r.i ORDER BY m.conv, x.seq) AS in_request,"
          "  row_number() OVER (PARTITION BY r.i, m.conv ORDER BY x.seq) AS in_conv"
          " FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::bigint[], $6::jsonb[])"
          "      WITH ORDINALITY AS r(app, user_id, device, resume, lim, known, i)"
          " CROSS JOIN LATERAL (SELECT mb.conv, mb.joined_seq FROM members mb"
          "     WHERE mb.app=r.app AND mb.user_id=r.user_id OFFSET 0) m"
          " CROSS JOIN LATERAL (SELECT GREATEST(m.joined_seq,"
          "     COALESCE((r.known ->> m.conv)::bigint,"
          "              CASE WHEN r.resume THEN (SELECT cu.seq FROM cursors cu WHERE cu.app=r.app"
          "                  AND cu.user_id=r.user_id AND cu.device=r.device AND cu.conv=m.conv) END,"
          "              0)) AS seq OFFSET 0) s"
          " LEFT JOIN LATERAL (") +
      select_messages("WHERE app=r.app AND conv=m.conv AND seq>s.seq ORDER BY seq LIMIT r.lim") +
      ") x ON true) t WHERE in_request <= lim OR in_conv = 1 ORDER BY i, c_conv, seq";
  return sql;
}

// The other statements are planned at each execution, for the tables as
// they are then. By default PostgreSQL switches a prepared statement to a
// generic plan after five executions and keeps it while its estimate looks
// cheap; one made while the tables were nearly empty (a fresh cluster, the
// first logins) looked up members through the wrong index, by app alone,
// and kept doing so as the table grew: 10 s statements in a 100,000-user
// recovery (the sync statement, before it was made safe to plan once).
void reader::configure(connection& c) { c.setting("SET plan_cache_mode = force_custom_plan"); }
void reader::configure_sync(connection& c) { c.setting("SET plan_cache_mode = force_generic_plan"); }

reader::reader(const std::string& conninfo) : db_(conninfo), sync_db_(conninfo) {
  configure(db_);
  configure_sync(sync_db_);
  sync_db_.prepare("sync", sync_sql().c_str());
  db_.prepare("before", select_messages("WHERE app=$1 AND conv=$2 AND seq<$3 ORDER BY seq DESC LIMIT $4").c_str());
  db_.prepare("newest", select_messages("WHERE app=$1 AND conv=$2 ORDER BY seq DESC LIMIT 1").c_str());
  db_.prepare("member", "SELECT 1 FROM members WHERE app=$1 AND user_id=$2 AND conv=$3");
  db_.prepare("summaries",
              "SELECT m.conv, GREATEST(m.joined_seq, COALESCE(r.seq, 0)) FROM members m "
              "LEFT JOIN reads r ON r.app=m.app AND r.user_id=m.user_id AND r.conv=m.conv "
              "WHERE m.app=$1 AND m.user_id=$2");
  db_.prepare("members", "SELECT user_id FROM members WHERE app=$1 AND conv=$2 ORDER BY user_id");
  db_.prepare("rooms",
              "SELECT conv, count(*) FROM members WHERE app=$1 AND conv LIKE 'r:%' GROUP BY conv ORDER BY conv");
}

sync_result reader::sync(const sync_request& r) {
  const sync_request* one[] = {&r};
  return std::move(sync_many(one).front());
}

std::vector<sync_result> reader::sync_many(std::span<const sync_request* const> rs) {
  std::vector<std::string> apps, users, devices, resumes, limits, known;
  for (auto* r : rs) {
    apps.push_back(r->app);
    users.push_back(r->user);
    devices.push_back(r->device);
    resumes.push_back(r->resume_device ? "t" : "f");
    limits.push_back(std::to_string(r->limit + 1));
    // One position per conversation: the larger, if the session says twice.
    boost::json::object positions;
    for (auto& k : r->known)
      if (auto* had = positions.if_contains(k.conv); !had || had->as_uint64() < k.seq) positions[k.conv] = k.seq;
    known.push_back(boost::json::serialize(positions));
  }
  auto rows = reading(sync_db_, [&] {
    return sync_db_.run("sync", text_array(apps), text_array(users), text_array(devices), text_array(resumes),
                        text_array(limits), text_array(known));
  });
  std::vector<sync_result> out(rs.size());
  for (int i = 0; i < rows.rows(); ++i) {
    auto n = static_cast<std::size_t>(rows.int64(i, 0) - 1);
    if (n >= rs.size()) throw pg_error("sync: a row for no request");
    auto& r = *rs[n];
    auto& res = out[n];
    auto conv = rows.text(i, 1);
    if (res.convs.empty() || res.convs.back().conv != conv) res.convs.push_back({std::move(conv), rows.uint64(i, 2)});
    if (rows.null(i, 3)) continue;  // nothing after its point
    if (res.missed.size() == r.limit) {
      res.more = true;  // the rest comes with the next page
      continue;
    }
    res.missed.push_back(message_from_row(rows, i, r.app, 3));
  }
  return out;
}

history_result reader::history(const history_request& r) {
  return reading(db_, [&] { return history_once(r); });
}

history_result reader::history_once(const history_request& r) {
  history_result res;
  bool member = core::is_room_conv(r.conv) ? db_.run("member", r.app, r.user, r.conv).rows() > 0
                                           : core::direct_conv_has(r.conv, r.user);
  if (!member) {
    res.st = status::not_member;
    return res;
  }
  std::uint64_t before = r.before == 0 ? static_cast<std::uint64_t>(INT64_MAX) : r.before;
  append_rows(db_.run("before", r.app, r.conv, before, static_cast<std::uint64_t>(r.limit)), r.app, res.messages);
  return res;
}

conversations_result reader::conversations(const std::string& app, const std::string& user) {
  return reading(db_, [&] { return conversations_once(app, user); });
}

conversations_result reader::conversations_once(const std::string& app, const std::string& user) {
  conversations_result res;
  auto rows = db_.run("summaries", app, user);
  for (int i = 0; i < rows.rows(); ++i) {
    conv_summary c;
    c.conv = rows.text(i, 0);
    c.read_seq = rows.uint64(i, 1);
    std::vector<core::message> last;
    append_rows(db_.run("newest", app, c.conv), app, last);
    if (!last.empty()) {
      c.has_last = true;
      c.last = std::move(last.front());
      c.last_seq = c.last.seq;
    }
    res.convs.push_back(std::move(c));
  }
  sort_by_activity(res.convs);
  return res;
}

members_result reader::room_members(const std::string& app, const std::string& room) {
  members_result res;
  auto rows = reading(db_, [&] { return db_.run("members", app, core::room_conv(room)); });
  for (int i = 0; i < rows.rows(); ++i) res.users.push_back(rows.text(i, 0));
  return res;
}

rooms_result reader::rooms(const std::string& app) {
  rooms_result res;
  auto rows = reading(db_, [&] { return db_.run("rooms", app); });
  for (int i = 0; i < rows.rows(); ++i)
    res.rooms.push_back({rows.text(i, 0).substr(2), static_cast<std::size_t>(rows.int64(i, 1))});
  return res;
}

}  // namespace chorus::store::postgres
