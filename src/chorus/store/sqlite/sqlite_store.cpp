#include "chorus/store/sqlite/sqlite_store.hpp"

#include "chorus/store/sqlite/reader.hpp"
#include "chorus/store/sqlite/writer.hpp"

namespace chorus::store::sqlite {

// Delegating makes the writer, which creates the schema, exist before the
// reader opens the file read-only (argument order would not promise it).
sqlite_store::sqlite_store(const options& o)
    : sqlite_store(o, std::make_unique<writer>(o.path, o.full_sync, o.node_id, o.wal)) {}

sqlite_store::sqlite_store(const options& o, std::unique_ptr<batch_writer> w)
    : threaded_store(std::move(w), std::make_unique<reader>(o.path), o.batch_max, o.on_batch) {}

}  // namespace chorus::store::sqlite
