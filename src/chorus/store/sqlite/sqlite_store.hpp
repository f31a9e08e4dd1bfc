// The embedded store: SQLite in WAL mode with one writer thread doing group
// commit (all writes waiting when it wakes go into one transaction, one fsync)
// and one reader thread on its own connection. Public calls are thread-safe;
// write callbacks run on the writer thread in commit order, read callbacks on
// the reader thread.
#pragma once

#include "chorus/store/sqlite/writer.hpp"
#include "chorus/store/store.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace chorus::store::sqlite {

// Told about every batch, on the writer thread: its writes, the time to
// write and commit it, and whether it committed (metrics, tests).
using batch_observer = std::function<void(std::size_t writes, double seconds, bool committed)>;

struct options {
  std::string path = "chorus.db";
  bool full_sync = true;
  unsigned node_id = 0;
  std::size_t batch_max = 1024;
  batch_observer on_batch;
};


class sqlite_store final : public store {
 public:
  // Opens (creating if needed) the database; throws sqlite_error on failure.
  explicit sqlite_store(options o);
  ~sqlite_store() override;  // drains the queue, then stops both threads

  void append(append_request r, std::function<void(append_result)> done) override;
  void join(std::string app, std::string room, std::string user,
            std::function<void(join_result)> done) override;
  void leave(std::string app, std::string room, std::string user,
             std::function<void(leave_result)> done) override;
  void advance_cursor(std::string app, std::string user, std::string device, std::string conv,
                      std::uint64_t seq, std::function<void(status)> done) override;
  void mark_read(std::string app, std::string user, std::string conv, std::uint64_t seq,
                 std::function<void(status)> done) override;
  void sync(sync_request r, std::function<void(sync_result)> done) override;
  void conversations(std::string app, std::string user, std::function<void(conversations_result)> done) override;
  void history(history_request r, std::function<void(history_result)> done) override;
  void room_members(std::string app, std::string room,
                    std::function<void(members_result)> done) override;
  void rooms(std::string app, std::function<void(rooms_result)> done) override;
  void flush() override;

 private:
  void submit(write_op op);
  void read(std::function<void(class reader&)> job);
  void wait_committed(std::uint64_t ticket);
  void write_loop();
  void read_loop();

  options opt_;

  // Every write and cursor update takes a ticket; committed_ says that every
  // ticket up to it is committed. A read waits for the tickets issued before
  // it, so it sees every write its caller made before (read-your-writes:
  // an ack, then a login's sync, sees the ack).
  struct queued_write {
    std::uint64_t ticket;
    write_op op;
  };
  std::mutex wmu_;
  std::condition_variable wcv_, committed_cv_;
  std::deque<queued_write> wq_;
  cursor_map cursors_;
  read_map reads_;
  std::vector<std::function<void(status)>> mark_waiters_;  // told when their cursor or read mark commits
  std::uint64_t issued_ = 0, committed_ = 0;
  bool stopping_ = false;

  std::mutex rmu_;
  std::condition_variable rcv_;
  std::deque<std::pair<std::uint64_t, std::function<void(class reader&)>>> rq_;
  bool rstopping_ = false;

  std::unique_ptr<writer> writer_;
  std::unique_ptr<class reader> reader_;
  std::thread wthread_, rthread_;
};

}  // namespace chorus::store::sqlite
