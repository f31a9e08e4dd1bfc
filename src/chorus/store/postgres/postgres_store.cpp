#include "chorus/store/postgres/postgres_store.hpp"

#include "chorus/store/postgres/reader.hpp"
#include "chorus/store/postgres/writer.hpp"

namespace chorus::store::postgres {

// The writer creates the schema before the reader prepares its statements.
postgres_store::postgres_store(const options& o)
    : postgres_store(o, std::make_unique<writer>(o.conninfo, o.node_id)) {}

postgres_store::postgres_store(const options& o, std::unique_ptr<batch_writer> w)
    : threaded_store(std::move(w), std::make_unique<reader>(o.conninfo), o.batch_max, o.on_batch) {}

}  // namespace chorus::store::postgres
