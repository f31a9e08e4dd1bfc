// Checkpoints the SQLite WAL on a thread of its own, so that the writer's
// commits never wait for one. SQLite's default runs a checkpoint inside the
// commit that takes the WAL past 1,000 pages: copying pages into the database
// file and, with synchronous=FULL or NORMAL, an fsync of it, all while every
// sendmsg of the batch waits. The writer turns that off and pokes this thread
// instead (from sqlite3_wal_hook); its PASSIVE checkpoints never block the
// writer or the readers.
#pragma once

#include "chorus/store/sqlite/statement.hpp"

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace chorus::store::sqlite {

class checkpointer {
 public:
  explicit checkpointer(std::string path);
  ~checkpointer();  // stops after the checkpoint in progress, if any

  // The WAL holds `pages` pages (called by the writer after each commit).
  void wal_pages(int pages);
  // Checkpoints run so far (for tests).
  unsigned long runs() const;

 private:
  void loop();

  std::string path_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stopping_ = false;
  unsigned long runs_ = 0;
  std::thread thread_;
};

// WAL size (pages) at which a checkpoint is started (SQLite's default).
inline constexpr int checkpoint_pages = 1000;

}  // namespace chorus::store::sqlite
