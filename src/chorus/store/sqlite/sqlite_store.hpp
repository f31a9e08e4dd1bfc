// The embedded store: SQLite in WAL mode behind a threaded_store, its writer
// connection doing group commit and its reader connection answering reads
// beside it. See threaded_store for threads and ordering.
#pragma once

#include "chorus/store/batch.hpp"
#include "chorus/store/sqlite/checkpointer.hpp"
#include "chorus/store/threaded_store.hpp"

#include <string>

namespace chorus::store::sqlite {

struct options {
  std::string path = "chorus.db";
  bool full_sync = true;
  unsigned node_id = 0;
  std::size_t batch_max = 1024;
  batch_observer on_batch;
  wal_observer wal;
};

class sqlite_store final : public threaded_store {
 public:
  // Opens (creating if needed) the database; throws sqlite_error on failure.
  explicit sqlite_store(const options& o);

 private:
  sqlite_store(const options& o, std::unique_ptr<batch_writer> w);
};

}  // namespace chorus::store::sqlite
