#include "chorus/store/postgres/reader.hpp"

#include "chorus/core/ids.hpp"
#include "chorus/store/postgres/schema.hpp"

#include <algorithm>

namespace chorus::store::postgres {

namespace {
std::string select_messages(const char* tail) {
  return std::string("SELECT ") + message_columns + " FROM messages " + tail;
}
void append_rows(const result& r, const std::string& app, std::vector<core::message>& out) {
  for (int i = 0; i < r.rows(); ++i) out.push_back(message_from_row(r, i, app));
}
}  // namespace

reader::reader(const std::string& conninfo) : db_(conninfo) {
  db_.prepare("convs",
              "SELECT m.conv, GREATEST(m.joined_seq, COALESCE(c.seq, 0)) FROM members m "
              "LEFT JOIN cursors c ON c.app=m.app AND c.user_id=m.user_id AND c.device=$1 AND c.conv=m.conv "
              "WHERE m.app=$2 AND m.user_id=$3 ORDER BY m.conv");
  db_.prepare("after", select_messages("WHERE app=$1 AND conv=$2 AND seq>$3 ORDER BY seq LIMIT $4").c_str());
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
  sync_result res;
  // One snapshot: the conversation list and the messages agree.
  db_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    auto convs = db_.run("convs", r.device, r.app, r.user);
    for (int i = 0; i < convs.rows(); ++i) res.convs.push_back({convs.text(i, 0), convs.uint64(i, 1)});
    for (auto& c : res.convs) {
      for (auto& k : r.known)
        if (k.conv == c.conv) c.seq = std::max(c.seq, k.seq);
      if (res.more) continue;
      auto room = static_cast<std::uint64_t>(r.limit - res.missed.size());
      append_rows(db_.run("after", r.app, c.conv, c.seq, room + 1), r.app, res.missed);
      if (res.missed.size() > r.limit) {
        res.missed.pop_back();
        res.more = true;
      }
    }
  } catch (...) {
    db_.exec("ROLLBACK");
    throw;
  }
  db_.exec("COMMIT");
  return res;
}

history_result reader::history(const history_request& r) {
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
  auto rows = db_.run("members", app, core::room_conv(room));
  for (int i = 0; i < rows.rows(); ++i) res.users.push_back(rows.text(i, 0));
  return res;
}

rooms_result reader::rooms(const std::string& app) {
  rooms_result res;
  auto rows = db_.run("rooms", app);
  for (int i = 0; i < rows.rows(); ++i)
    res.rooms.push_back({rows.text(i, 0).substr(2), static_cast<std::size_t>(rows.int64(i, 1))});
  return res;
}

}  // namespace chorus::store::postgres
