// The SQLite writer: runs one batch of writes in one transaction (group
// commit) and fills in each write's result. Keeps the last convSeq of each
// conversation in memory so that an append costs one insert. Owned by the
// store's writer thread; not thread-safe.
#pragma once

#include "chorus/core/snowflake.hpp"
#include "chorus/store/sqlite/checkpointer.hpp"
#include "chorus/store/sqlite/statement.hpp"
#include "chorus/store/batch.hpp"

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

namespace chorus::store::sqlite {

// The idempotency lookup: (app, sender, client_msg_id) -> the first message.
std::string find_idem_sql();

// The WAL size at which the writer copies the WAL's last frames back itself
// even when writes wait (see catch_up_pages in checkpointer.hpp for when no
// write waits).
inline constexpr int wal_cap_pages = 16 * checkpoint_pages;

class writer final : public batch_writer {
 public:
  writer(const std::string& path, bool full_sync, unsigned node_id, wal_observer wal = {});
  ~writer() override;

  // Runs the batch in one transaction. On failure every result is
  // status::error and nothing of the batch is kept. Returns whether it committed.
  bool run(std::vector<write_op>& ops, const cursor_map& cursors, const read_map& reads) override;
  // Copies the WAL's last frames back itself when the checkpointer has left
  // only a few (or the WAL grew past wal_cap_pages), so that the next
  // transaction starts the WAL over (see checkpointer.hpp).
  void upkeep(bool idle) override;

  // Frames in the WAL after the last commit, and checkpoints the
  // checkpointer thread ran that copied frames back (for tests).
  int wal_pages() const { return wal_pages_; }
  unsigned long checkpoint_runs() const { return checkpoints_ ? checkpoints_->runs() : 0; }

 private:
  void apply(append_op& op);
  bool find_duplicate(append_op& op);  // fills op.res with the first message of its client id
  void put_own_reads();
  void apply(join_op& op);
  void apply(leave_op& op);
  std::uint64_t& last_seq(const std::string& app, const std::string& conv);
  bool is_member(const std::string& app, const std::string& user, const std::string& conv);
  static int on_wal(void* self, sqlite3* db, const char* name, int pages);

  std::string path_;
  wal_observer wal_;
  connection db_;
  std::unique_ptr<checkpointer> checkpoints_;  // started by the first full WAL
  int wal_pages_ = 0;
  core::snowflake ids_;
  std::unordered_map<std::string, std::uint64_t> last_seq_;  // app '\n' conv -> seq
  std::vector<const core::message*> own_reads_;  // the batch's stored messages, for their senders' reads
  struct statements;
  std::unique_ptr<statements> st_;
};

}  // namespace chorus::store::sqlite
