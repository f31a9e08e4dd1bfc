#include "chorus/store/sqlite/checkpointer.hpp"

#include "chorus/core/thread_name.hpp"

#include <spdlog/spdlog.h>

namespace chorus::store::sqlite {

checkpointer::checkpointer(std::string path, std::function<void()> on_run)
    : path_(std::move(path)), on_run_(std::move(on_run)), thread_([this] { loop(); }) {}

checkpointer::~checkpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void checkpointer::wal_pages(int pages) {
  {
    std::lock_guard lock(mu_);
    // Fewer frames than last time: the WAL started over from frame 1.
    if (pages < pages_) {
      done_ = 0;
      ++rewinds_;
      chasing_ = false;
    }
    pages_ = pages;
    if (wanted_ || running_) return;
    int left = pages - done_;
    if (left >= checkpoint_pages) chasing_ = true;
    if (!chasing_ || left <= catch_up_pages) return;
    wanted_ = true;
  }
  cv_.notify_one();
}

bool checkpointer::busy() const {
  std::lock_guard lock(mu_);
  return (wanted_ || running_) && !failed_;
}

void checkpointer::wait_idle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return (!wanted_ && !running_) || stopping_ || failed_; });
}

int checkpointer::backlog() const {
  std::lock_guard lock(mu_);
  return pages_ - done_;
}

void checkpointer::backfilled(int done) {
  std::lock_guard lock(mu_);
  done_ = done;
}

unsigned long checkpointer::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

namespace {

// SQLite syncs the database file at the end of a checkpoint only if no
// commit came while it copied, which under a stream of commits a background
// checkpoint never sees: the pages it copied stayed dirty in the page cache
// until the writer's own catch-up (writer::upkeep), whose sync then wrote
// them all, megabytes, while every sendmsg waited. Synced here, after each
// run, the writer's sync finds only the few pages it copied itself.
// Syncing more often than SQLite would is always safe.
void sync_database(const connection& db) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db.get(), "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
      !file->pMethods)
    return;
  if (int rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL); rc != SQLITE_OK)
    spdlog::warn("sqlite checkpoint: syncing the database file failed ({})", sqlite3_errstr(rc));
}

}  // namespace

void checkpointer::loop() {
  core::name_this_thread("sqlite-ckpt");
  try {
    connection db(path_, false);
    // A connection learns the WAL mode from the file when it first reads.
    db.exec("PRAGMA journal_mode=WAL");
    for (;;) {
      unsigned long rewinds;
      int done_before;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return wanted_ || stopping_; });
        if (stopping_) return;
        wanted_ = false;
        running_ = true;
        rewinds = rewinds_;
        done_before = done_;
      }
      int wal = 0, done = 0;
      int rc = sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal, &done);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) spdlog::warn("sqlite checkpoint: {}", sqlite3_errmsg(db.get()));
      // `done` counts all the frames copied back so far: a run that copied
      // some syncs, is counted and reported. One can copy none: nothing
      // new came, a reader's snapshot holds it back, or it finds SQLite
      // busy (seen right after a run that copied everything, as the
      // writer's next transaction starts the WAL over).
      bool copied = rc == SQLITE_OK && done > done_before;
      if (copied) {
        sync_database(db);
        if (on_run_) on_run_();
      }
      std::lock_guard lock(mu_);
      running_ = false;
      if (copied) ++runs_;
      // `done` counts frames of the WAL as it was; if it started over
      // meanwhile (it cannot while frames are left: then done < wal), the
      // count is of no use.
      int before = done_;
      if (rc == SQLITE_OK && rewinds == rewinds_ && done > done_) done_ = done;
      // Commits during the run asked for nothing (one was running): while
      // more than catch_up_pages are left, go again; each run copies only
      // what came during the one before, so the runs shorten until the
      // writer can take the rest. Then, or after a run that moved nothing
      // (a reader's snapshot holds it back), the chase ends until the next
      // checkpoint_pages frames.
      if (done_ == before) chasing_ = false;
      else if (pages_ - done_ > catch_up_pages) wanted_ = true;
      else chasing_ = false;  // the rest is the writer's; the next chase at checkpoint_pages
      if (!wanted_) idle_cv_.notify_all();
    }
  } catch (const std::exception& e) {
    // The writer then checkpoints itself (writer::upkeep); commits go on.
    spdlog::error("sqlite checkpointer stopped: {}", e.what());
    std::lock_guard lock(mu_);
    failed_ = true;
    idle_cv_.notify_all();
  }
}

}  // namespace chorus::store::sqlite
