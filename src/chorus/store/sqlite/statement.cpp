#include "chorus/store/sqlite/statement.hpp"

namespace chorus::store::sqlite {

namespace {
[[noreturn]] void fail(sqlite3* db, const char* what) {
  throw sqlite_error(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}
}  // namespace

bool configure_library() {
  // Debian's SQLite keeps memory statistics (the default) and is built
  // without its lookaside allocator, so every allocation of a statement
  // (records, cursors, savepoints) took a process-wide mutex and updated
  // the counters, on the writer, the reader and the checkpointer alike:
  // 2-6% of the writer thread's CPU at 25,000 msgs/s. Nothing here reads
  // the statistics (sqlite3_memory_used) or sets a soft heap limit.
  // sqlite3_config works only before SQLite initializes: the first
  // connection (or whatever else calls into SQLite first) decides.
  static const bool done = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  return done;
}

connection::connection(const std::string& path, bool read_only) {
  configure_library();
  int flags = SQLITE_OPEN_NOMUTEX | (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = "cannot open " + path + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory");
    sqlite3_close(db_);
    throw sqlite_error(msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
}

connection::~connection() { sqlite3_close_v2(db_); }

void connection::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw sqlite_error(std::string(sql).substr(0, 40) + ": " + msg);
  }
}

statement::statement(const connection& c, const char* sql) : db_(c.get()) {
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
    fail(db_, "prepare");
}

statement::~statement() { sqlite3_finalize(s_); }

void statement::bind(int i, std::string_view v) {
  if (sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    fail(db_, "bind");
}

void statement::bind(int i, std::string_view v, no_copy_t) {
  if (sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC) != SQLITE_OK)
    fail(db_, "bind");
}

void statement::bind(int i, std::int64_t v) {
  if (sqlite3_bind_int64(s_, i, v) != SQLITE_OK) fail(db_, "bind");
}

bool statement::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "step");
}

void statement::reset() noexcept {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

std::string statement::text(int col) const {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string{};
}

}  // namespace chorus::store::sqlite
