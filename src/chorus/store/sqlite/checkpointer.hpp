// Checkpoints the SQLite WAL on a thread of its own, so that the writer's
// commits never wait for one. SQLite's default runs a checkpoint inside the
// commit that takes the WAL past 1,000 pages: copying pages into the database
// file and, with synchronous=FULL or NORMAL, an fsync of it, all while every
// sendmsg of the batch waits. The writer turns that off and tells this thread
// the WAL's size after each commit (from sqlite3_wal_hook); its PASSIVE
// checkpoints never block the writer or the readers.
//
// A checkpoint starts when checkpoint_pages frames have been appended since
// the last one copied the WAL back, not whenever the WAL is large: SQLite
// rewinds the WAL only at the start of a write transaction that finds it all
// copied back, which under a steady stream of commits (each landing while a
// checkpoint runs) it seldom does. Started on size, checkpoints ran back to
// back, copying the same hot pages again and again (a third of the server's
// CPU at 5,000 one-message commits per second) while the WAL grew to
// hundreds of megabytes. The writer closes the loop (writer::upkeep): when
// only a few frames are left over it copies them itself, between batches,
// and its next transaction rewinds the WAL.
//
// That catch-up is the one moment a write waits for the disk: the writer
// syncs the WAL, copies, syncs the database file, and its next commit syncs
// the rewound WAL's header. So this thread leaves it as little as it can:
// once checkpoint_pages frames have come, it runs again while more than
// catch_up_pages frames are left (each run copies only what came during
// the one before, so they shorten), and it syncs the database file after
// each run that copied some (SQLite syncs it only after a checkpoint that
// found nothing newer, which under a stream of commits a background one
// never does: the writer's sync then wrote out everything this thread had
// copied). At 5,000 one-message
// commits per second the catch-up went from 1.4 ms on average (several at
// worst, 20 times a second) to 0.45 ms.
#pragma once

#include "chorus/store/sqlite/statement.hpp"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace chorus::store::sqlite {

// What the WAL does, for an operator's metrics (chorus_sqlite_*). Each may be
// empty. `checkpoint` runs on the checkpointer's thread, the others on the
// writer's.
struct wal_observer {
  std::function<void(int frames)> frames;           // the WAL's size after a commit
  std::function<void()> restart;                    // a commit started the WAL over
  std::function<void()> checkpoint;                 // the checkpointer ran one that copied frames
  std::function<void(double seconds)> cap_wait;    // the writer waited for it at the WAL's cap
};

class checkpointer {
 public:
  // `on_run` (may be empty) is called on this thread after each checkpoint
  // that copied frames back.
  explicit checkpointer(std::string path, std::function<void()> on_run = {});
  ~checkpointer();  // stops after the checkpoint in progress, if any

  // The WAL holds `pages` frames (called by the writer after each commit).
  void wal_pages(int pages);
  // Whether a checkpoint is wanted or running.
  bool busy() const;
  // Blocks until no checkpoint is wanted or running.
  void wait_idle();
  // Of the WAL's last reported frames, those not yet copied back.
  int backlog() const;
  // The writer checkpointed itself: the first `done` frames are copied back.
  void backfilled(int done);
  // Checkpoints run by this thread so far that copied frames (for tests).
  unsigned long runs() const;

 private:
  void loop();

  std::string path_;
  std::function<void()> on_run_;
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  bool wanted_ = false;
  bool running_ = false;
  bool stopping_ = false;
  bool failed_ = false;  // the thread could not open its connection
  int pages_ = 0;            // frames in the WAL after the last commit
  int done_ = 0;             // of them, copied back to the database file
  bool chasing_ = false;     // from checkpoint_pages on, runs until catch_up_pages are left
  unsigned long rewinds_ = 0;  // times the WAL started over (frame numbers with it)
  unsigned long runs_ = 0;
  std::thread thread_;
};

// Frames appended since the last checkpoint at which the next one starts
// (SQLite's default WAL size for its own).
inline constexpr int checkpoint_pages = 1000;
// Left-over frames the writer copies back itself between batches when no
// write waits, so that its next transaction starts the WAL over; a chase
// of the checkpointer runs until no more are left.
inline constexpr int catch_up_pages = 64;

}  // namespace chorus::store::sqlite
