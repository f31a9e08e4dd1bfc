#include "chorus/store/sqlite/reader.hpp"

#include "chorus/core/ids.hpp"
#include "chorus/store/sqlite/schema.hpp"

#include <algorithm>

namespace chorus::store::sqlite {

namespace {
std::string select_messages(const char* tail) {
  return std::string("SELECT ") + message_columns + " FROM messages " + tail;
}
}  // namespace

struct reader::statements {
  explicit statements(const connection& c)
      : begin(c, "BEGIN"),
        end(c, "COMMIT"),
        convs(c,
              "SELECT m.conv, m.joined_seq, COALESCE(c.seq, 0) FROM members m "
              "LEFT JOIN cursors c ON c.app=m.app AND c.user=m.user AND c.device=? AND c.conv=m.conv "
              "WHERE m.app=? AND m.user=? ORDER BY m.conv"),
        after(c, select_messages("WHERE app=? AND conv=? AND seq>? ORDER BY seq LIMIT ?").c_str()),
        before(c, select_messages("WHERE app=? AND conv=? AND seq<? ORDER BY seq DESC LIMIT ?").c_str()),
        member(c, "SELECT 1 FROM members WHERE app=? AND user=? AND conv=?"),
        summaries(c,
                  "SELECT m.conv, max(m.joined_seq, COALESCE(r.seq, 0)) FROM members m "
                  "LEFT JOIN reads r ON r.app=m.app AND r.user=m.user AND r.conv=m.conv "
                  "WHERE m.app=? AND m.user=?"),
        newest(c, select_messages("WHERE app=? AND conv=? ORDER BY seq DESC LIMIT 1").c_str()),
        members(c, "SELECT user FROM members WHERE app=? AND conv=? ORDER BY user"),
        rooms(c,
              "SELECT conv, count(*) FROM members WHERE app=? AND conv >= 'r:' AND conv < 'r;' "
              "GROUP BY conv ORDER BY conv") {}
  statement begin, end, convs, after, before, member, summaries, newest, members, rooms;
};

reader::reader(const std::string& path) : db_(path, true) {
  prepare_reader(db_);
  st_ = std::make_unique<statements>(db_);
  // A first read opens the WAL index now, at startup, rather than at the
  // first sync, when the process may be out of descriptors.
  db_.exec("SELECT 1 FROM members LIMIT 1");
}

reader::~reader() = default;

void reader::read_messages(statement& q, const std::string& app, std::vector<core::message>& out) {
  while (q.step()) out.push_back(message_from_row(q, app));
  q.reset();
}

sync_result reader::sync(const sync_request& r) {
  sync_result res;
  // One read transaction: the conversation list and the messages agree.
  st_->begin.bind_all().run();
  try {
    auto& q = st_->convs.bind_all(r.device, r.app, r.user);
    while (q.step()) {
      auto conv = q.text(0);
      auto from = sync_from(r, conv, q.uint64(2));
      res.convs.push_back({std::move(conv), std::max(q.uint64(1), from)});
    }
    q.reset();
    for (auto& c : res.convs) {
      if (res.more) continue;
      auto room = r.limit - res.missed.size();
      read_messages(st_->after.bind_all(r.app, c.conv, c.seq, static_cast<std::uint64_t>(room + 1)),
                    r.app, res.missed);
      if (res.missed.size() > r.limit) {
        res.missed.pop_back();
        res.more = true;
      }
    }
  } catch (...) {
    st_->end.reset();
    db_.exec("ROLLBACK");
    throw;
  }
  st_->end.bind_all().run();
  return res;
}

history_result reader::history(const history_request& r) {
  history_result res;
  // Either end of a one-to-one conversation may read it, even before its
  // first message; a room only its members.
  bool member = core::direct_conv_has(r.conv, r.user);
  if (core::is_room_conv(r.conv)) {
    auto& m = st_->member.bind_all(r.app, r.user, r.conv);
    member = m.step();
    m.reset();
  }
  if (!member) {
    res.st = status::not_member;
    return res;
  }
  std::uint64_t before = r.before == 0 ? static_cast<std::uint64_t>(INT64_MAX) : r.before;
  read_messages(st_->before.bind_all(r.app, r.conv, before, static_cast<std::uint64_t>(r.limit)), r.app,
                res.messages);
  return res;
}

conversations_result reader::conversations(const std::string& app, const std::string& user) {
  conversations_result res;
  auto& q = st_->summaries.bind_all(app, user);
  while (q.step()) {
    conv_summary c;
    c.conv = q.text(0);
    c.read_seq = q.uint64(1);
    res.convs.push_back(std::move(c));
  }
  q.reset();
  for (auto& c : res.convs) {
    std::vector<core::message> last;
    read_messages(st_->newest.bind_all(app, c.conv), app, last);
    if (!last.empty()) {
      c.has_last = true;
      c.last = std::move(last.front());
      c.last_seq = c.last.seq;
    }
  }
  sort_by_activity(res.convs);
  return res;
}

members_result reader::room_members(const std::string& app, const std::string& room) {
  members_result res;
  auto& q = st_->members.bind_all(app, core::room_conv(room));
  while (q.step()) res.users.push_back(q.text(0));
  q.reset();
  return res;
}

rooms_result reader::rooms(const std::string& app) {
  rooms_result res;
  auto& q = st_->rooms.bind_all(app);
  while (q.step()) res.rooms.push_back({q.text(0).substr(2), static_cast<std::size_t>(q.int64(1))});
  q.reset();
  return res;
}

}  // namespace chorus::store::sqlite
