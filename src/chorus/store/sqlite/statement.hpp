// Thin RAII over the SQLite C API: a connection and a prepared statement with
// bind/step/column helpers. Errors throw sqlite_error; the store catches them
// at the batch boundary and turns them into status::error. A connection and
// its statements belong to one thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace chorus::store::sqlite {

struct sqlite_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Sets SQLite's process-wide options (memory statistics off) once, before
// SQLite initializes; every connection calls it first. Returns whether the
// options took (false if SQLite was initialized before the first call).
bool configure_library();

class connection {
 public:
  connection(const std::string& path, bool read_only);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void exec(const char* sql);
  sqlite3* get() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class statement {
 public:
  statement(const connection& c, const char* sql);
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  // Binds parameters 1..N in order and resets the statement first.
  template <class... Args>
  statement& bind_all(const Args&... args) {
    reset();
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }
  // Binds parameters 1..N without copying the text (SQLITE_STATIC), runs the
  // statement to completion and unbinds: the writer's statements, whose
  // copies of every column were a tenth of its time. Safe because nothing
  // of `args` is kept past the call.
  template <class... Args>
  void run_with(const Args&... args) {
    reset();
    int i = 0;
    (bind(++i, args, no_copy), ...);
    run();
    reset();
  }
  void bind(int i, std::string_view v);
  void bind(int i, std::int64_t v);
  void bind(int i, std::uint64_t v) { bind(i, static_cast<std::int64_t>(v)); }

  bool step();  // true: a row is ready
  void run() { while (step()) {} }
  void reset() noexcept;

  std::string text(int col) const;
  std::int64_t int64(int col) const noexcept { return sqlite3_column_int64(s_, col); }
  std::uint64_t uint64(int col) const noexcept { return static_cast<std::uint64_t>(int64(col)); }
  bool is_null(int col) const noexcept { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  // run_with's binds: text without a copy, numbers as bind() does.
  struct no_copy_t {};
  static constexpr no_copy_t no_copy{};
  void bind(int i, std::string_view v, no_copy_t);
  void bind(int i, std::int64_t v, no_copy_t) { bind(i, v); }
  void bind(int i, std::uint64_t v, no_copy_t) { bind(i, v); }

  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

}  // namespace chorus::store::sqlite
