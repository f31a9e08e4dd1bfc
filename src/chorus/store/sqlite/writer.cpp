#include "chorus/store/sqlite/writer.hpp"

#include "chorus/core/clock.hpp"
#include "chorus/core/ids.hpp"
#include "chorus/store/sqlite/schema.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace chorus::store::sqlite {

// It repeats the partial index's condition (client_msg_id <> ''): SQLite
// uses a partial index only for a query that implies it, and without it
// every sendmsg with a msgId scanned the tenant's messages.
std::string find_idem_sql() {
  return std::string("SELECT ") + message_columns +
         " FROM messages WHERE app=? AND sender=? AND client_msg_id=? AND client_msg_id <> ''";
}

struct writer::statements {
  explicit statements(const connection& c)
      : begin(c, "BEGIN IMMEDIATE"),
        commit(c, "COMMIT"),
        rollback(c, "ROLLBACK"),
        find_idem(c, find_idem_sql().c_str()),
        max_seq(c, "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE app=? AND conv=?"),
        // A message whose client id its sender used before is not stored
        // (changes() says so): the insert's own probe of messages_idem is
        // the idempotency check, no lookup first.
        insert_msg(c,
                   "INSERT INTO messages(app, conv, seq, id, sender, client_msg_id, to_user, room, "
                   "type, content, ts) VALUES(?,?,?,?,?,?,?,?,?,?,?) "
                   "ON CONFLICT(app, sender, client_msg_id) WHERE client_msg_id <> '' DO NOTHING"),
        is_member(c, "SELECT 1 FROM members WHERE app=? AND user=? AND conv=?"),
        member_seq(c, "SELECT joined_seq FROM members WHERE app=? AND user=? AND conv=?"),
        add_member(c, "INSERT OR IGNORE INTO members(app, user, conv, joined_seq) VALUES(?,?,?,?)"),
        del_member(c, "DELETE FROM members WHERE app=? AND user=? AND conv=?"),
        put_cursor(c,
                   "INSERT INTO cursors(app, user, device, conv, seq) VALUES(?,?,?,?,?) "
                   "ON CONFLICT(app, user, device, conv) DO UPDATE SET seq=max(seq, excluded.seq)"),
        put_read(c,
                 "INSERT INTO reads(app, user, conv, seq) VALUES(?,?,?,?) "
                 "ON CONFLICT(app, user, conv) DO UPDATE SET seq=max(seq, excluded.seq)") {}
  statement begin, commit, rollback, find_idem, max_seq, insert_msg, is_member, member_seq,
      add_member, del_member, put_cursor, put_read;
};

writer::writer(const std::string& path, bool full_sync, unsigned node_id, wal_observer wal)
    : path_(path), wal_(std::move(wal)), db_(path, false), ids_(node_id) {
  prepare_writer(db_, full_sync);
  st_ = std::make_unique<statements>(db_);
  // Checkpoints off the commit path (see checkpointer.hpp).
  db_.exec("PRAGMA wal_autocheckpoint=0");
  sqlite3_wal_hook(db_.get(), &writer::on_wal, this);
}

// Stops the checkpointer before the connection closes (which checkpoints).
writer::~writer() { checkpoints_.reset(); }

int writer::on_wal(void* self, sqlite3*, const char*, int pages) {
  auto* w = static_cast<writer*>(self);
  // Fewer frames than after the last commit: the WAL started over. (One
  // that started over with a commit as large as the WAL was goes unseen,
  // here as by the checkpointer: a batch of over a thousand pages.)
  if (pages < w->wal_pages_ && w->wal_.restart) w->wal_.restart();
  w->wal_pages_ = pages;
  if (w->wal_.frames) w->wal_.frames(pages);
  if (!w->checkpoints_) {
    if (pages < checkpoint_pages) return SQLITE_OK;
    w->checkpoints_ = std::make_unique<checkpointer>(w->path_, w->wal_.checkpoint);
  }
  w->checkpoints_->wal_pages(pages);
  return SQLITE_OK;
}

void writer::upkeep(bool idle) {
  if (!checkpoints_ || wal_pages_ < checkpoint_pages) return;
  // At the cap, wait for a checkpoint in progress: back-pressure, so that
  // a writer outrunning the checkpointer cannot grow the WAL without bound.
  if (wal_pages_ >= wal_cap_pages) {
    if (checkpoints_->busy()) {
      auto start = std::chrono::steady_clock::now();
      checkpoints_->wait_idle();
      if (wal_.cap_wait) wal_.cap_wait(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  } else if (checkpoints_->busy()) {
    return;
  }
  int left = checkpoints_->backlog();
  // Nothing left: the next transaction starts the WAL over by itself.
  if (left <= 0) return;
  bool few = idle && left <= catch_up_pages;
  if (!few && wal_pages_ < wal_cap_pages) return;
  int wal = 0, done = 0;
  int rc = sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal, &done);
  if (rc == SQLITE_OK) checkpoints_->backfilled(done);
}

std::uint64_t& writer::last_seq(const std::string& app, const std::string& conv) {
  std::string key = app + '\n' + conv;
  auto it = last_seq_.find(key);
  if (it != last_seq_.end()) return it->second;
  auto& q = st_->max_seq.bind_all(app, conv);
  q.step();
  auto seq = q.uint64(0);
  q.reset();
  return last_seq_.emplace(std::move(key), seq).first->second;
}

bool writer::is_member(const std::string& app, const std::string& user, const std::string& conv) {
  auto& q = st_->is_member.bind_all(app, user, conv);
  bool yes = q.step();
  q.reset();
  return yes;
}

bool writer::find_duplicate(append_op& op) {
  auto& m = op.req.msg;
  if (m.client_msg_id.empty()) return false;
  auto& q = st_->find_idem.bind_all(m.app, m.from, m.client_msg_id);
  if (q.step()) {
    op.res.duplicate = true;
    op.res.msg = message_from_row(q, m.app);
  }
  q.reset();
  return op.res.duplicate;
}

void writer::apply(append_op& op) {
  auto& m = op.req.msg;
  if (op.req.require_member && !is_member(m.app, m.from, m.conv)) {
    // Sent again after leaving: still answered with the message it was.
    if (!find_duplicate(op)) op.res.st = status::not_member;
    return;
  }
  auto& seq = last_seq(m.app, m.conv);
  m.seq = seq + 1;
  m.id = core::snowflake::to_string(ids_.next());
  if (!m.ts_ms) m.ts_ms = core::unix_ms();
  st_->insert_msg
      .run_with(m.app, m.conv, m.seq, m.id, m.from, m.client_msg_id, m.to, m.room, m.type, m.content,
                m.ts_ms);
  if (sqlite3_changes(db_.get()) == 0) {
    if (!find_duplicate(op)) throw sqlite_error("a message was neither stored nor found by its client id");
    return;
  }
  if (seq == 0 && !core::is_room_conv(m.conv)) {
    // First message of a direct conversation: both ends become members.
    st_->add_member.run_with(m.app, m.from, m.conv, std::uint64_t{0});
    st_->add_member.run_with(m.app, m.to, m.conv, std::uint64_t{0});
  }
  seq = m.seq;
  // Moved, not copied: nothing reads the request after this.
  op.res.msg = std::move(m);
  // What one writes, one has read: one's own messages are never unread.
  // Written once per sender and conversation at the end of the batch.
  own_reads_.push_back(&op.res.msg);
}

void writer::put_own_reads() {
  // Per (app, sender, conv), the newest of the batch (seqs grow in batch
  // order within a conversation, so the last one met).
  auto key = [](const core::message* m) { return std::tie(m->app, m->from, m->conv); };
  std::stable_sort(own_reads_.begin(), own_reads_.end(),
                   [&](const core::message* a, const core::message* b) { return key(a) < key(b); });
  for (std::size_t i = 0; i < own_reads_.size(); ++i) {
    if (i + 1 < own_reads_.size() && key(own_reads_[i]) == key(own_reads_[i + 1])) continue;
    auto* m = own_reads_[i];
    st_->put_read.run_with(m->app, m->from, m->conv, m->seq);
  }
}

void writer::apply(join_op& op) {
  auto conv = core::room_conv(op.room);
  auto& q = st_->member_seq.bind_all(op.app, op.user, conv);
  if (q.step()) {
    op.res.joined_seq = q.uint64(0);
    q.reset();
    return;
  }
  q.reset();
  op.res.joined = true;
  op.res.joined_seq = last_seq(op.app, conv);
  st_->add_member.run_with(op.app, op.user, conv, op.res.joined_seq);
}

void writer::apply(leave_op& op) {
  st_->del_member.run_with(op.app, op.user, core::room_conv(op.room));
  op.res.left = sqlite3_changes(db_.get()) > 0;
}

bool writer::run(std::vector<write_op>& ops, const cursor_map& cursors, const read_map& reads) {
  own_reads_.clear();
  try {
    st_->begin.run_with();
    for (auto& op : ops) std::visit([this](auto& o) { apply(o); }, op);
    put_own_reads();
    for (auto& [k, seq] : cursors) {
      auto& [app, user, device, conv] = k;
      st_->put_cursor.run_with(app, user, device, conv, seq);
    }
    for (auto& [k, seq] : reads) {
      auto& [app, user, conv] = k;
      st_->put_read.run_with(app, user, conv, seq);
    }
    st_->commit.run_with();
    return true;
  } catch (const sqlite_error& e) {
    spdlog::error("store: batch of {} writes failed and was rolled back: {}", ops.size(), e.what());
    try {
      st_->rollback.run_with();
    } catch (const sqlite_error&) {
      // Already rolled back by SQLite itself (e.g. SQLITE_FULL).
    }
    // The cached sequence numbers may name rows that were rolled back.
    last_seq_.clear();
    for (auto& op : ops)
      std::visit([](auto& o) { o.res = {}; o.res.st = status::error; }, op);
    return false;
  }
}

}  // namespace chorus::store::sqlite
