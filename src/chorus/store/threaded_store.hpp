// A store run on two threads: one writer doing group commit (every write
// waiting when it wakes goes into one transaction: one fsync) and one reader
// on a connection of its own. Public calls are thread-safe; write callbacks
// run on the writer thread in commit order, read callbacks on the reader
// thread. The database work itself is a batch_writer and a query_reader
// (SQLite's or PostgreSQL's).
#pragma once

#include "chorus/store/batch.hpp"
#include "chorus/store/store.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace chorus::store {


class threaded_store : public store {
 public:
  threaded_store(std::unique_ptr<batch_writer> w, std::unique_ptr<query_reader> r, std::size_t batch_max,
                 batch_observer on_batch);
  ~threaded_store() override;  // drains the queue, then stops both threads

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
  void expedite_marks() override;

 private:
  // A read waiting for the reader thread: a sync, or any other query.
  // Syncs queued together are read together (query_reader::sync_many).
  struct read_job {
    std::uint64_t ticket;
    std::function<void(query_reader&)> query;  // empty for a sync
    sync_request sync;
    std::function<void(sync_result)> sync_done;
  };
  // At most this many syncs read together: enough that a queue thousands
  // deep (a reconnect storm) drains in few statements (64 left a 100,000-
  // user recovery queueing seconds behind them), few enough that one
  // statement's rows (a page per user) stay a few megabytes.
  static constexpr std::size_t sync_batch_max = 256;
  void run_syncs(std::vector<read_job>& jobs);

  void submit(write_op op);
  void read(read_job job);
  void query(std::function<void(query_reader&)> q) { read({0, std::move(q), {}, {}}); }
  void wait_committed(std::uint64_t ticket);
  void write_loop();
  // Under wmu_: a cursor or read mark takes a ticket. Whether it is the
  // first one held: only then (or with a callback) is the writer woken,
  // to learn when to write them; the marks after it change nothing for it.
  bool note_mark();
  // How long cursor and read marks are held back when no one waits for
  // them (write_loop): they ride along with the writes of a later batch,
  // and a conversation's marks within the window collapse into one row
  // update. Held marks are only ever late, never lost while the process
  // lives; a crash loses at most this much delivery progress, which the
  // next sync delivers again (at least once, dropped by convSeq).
  static constexpr std::chrono::milliseconds mark_hold{20};
  void read_loop();

  std::size_t batch_max_;
  batch_observer on_batch_;

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
  // The oldest mark not yet written: its ticket and when it came.
  std::uint64_t first_mark_ticket_ = 0;
  std::chrono::steady_clock::time_point first_mark_at_;
  std::uint64_t issued_ = 0, committed_ = 0;
  bool stopping_ = false;
  bool expedite_ = false;  // write the marks held back now (expedite_marks)
  // Threads waiting for a ticket not yet committed (the reader, flush()):
  // while any does, the writer does not linger.
  int waiting_ = 0;

  std::mutex rmu_;
  std::condition_variable rcv_;
  std::deque<read_job> rq_;
  bool rstopping_ = false;

  std::unique_ptr<batch_writer> writer_;
  std::unique_ptr<query_reader> reader_;
  std::thread wthread_, rthread_;
};

}  // namespace chorus::store
