// The cluster's store: PostgreSQL behind a threaded_store (one writer
// connection doing group commit, one reader connection). Several nodes may
// share one database: sequence numbers stay gap-free and unique per
// conversation across them (see writer.hpp).
#pragma once

#include "chorus/store/batch.hpp"
#include "chorus/store/threaded_store.hpp"

#include <string>

namespace chorus::store::postgres {

struct options {
  std::string conninfo;  // libpq connection string, e.g. "host=127.0.0.1 port=5432 dbname=chorus"
  unsigned node_id = 0;
  std::size_t batch_max = 1024;
  batch_observer on_batch;
};

class postgres_store final : public threaded_store {
 public:
  // Connects and creates the schema if missing; throws pg_error on failure.
  explicit postgres_store(const options& o);

 private:
  postgres_store(const options& o, std::unique_ptr<batch_writer> w);
};

}  // namespace chorus::store::postgres
