// Thin RAII over libpq: a connection with named prepared statements run with
// text parameters, a result, and a pipeline that sends many statements in one
// round trip. Errors throw pg_error; the store catches them at the batch
// boundary. A connection belongs to one thread.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chorus::store::postgres {

struct pg_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class result {
 public:
  explicit result(PGresult* r) : r_(r, &PQclear) {}
  int rows() const noexcept { return PQntuples(r_.get()); }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
  }
  std::int64_t int64(int row, int col) const { return std::stoll(PQgetvalue(r_.get(), row, col)); }
  std::uint64_t uint64(int row, int col) const { return static_cast<std::uint64_t>(int64(row, col)); }
  bool boolean(int row, int col) const { return PQgetvalue(r_.get(), row, col)[0] == 't'; }
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> r_;
};

// A statement's parameters, each sent as text.
struct text_params {
  template <class... Args>
  explicit text_params(const Args&... args) : values{to_text(args)...} {
    for (auto& v : values) pointers.push_back(v.c_str());
  }
  text_params(const text_params&) = delete;  // `pointers` point into `values`
  text_params& operator=(const text_params&) = delete;
  int size() const noexcept { return static_cast<int>(pointers.size()); }
  const char* const* data() const noexcept { return pointers.data(); }

  std::vector<std::string> values;
  std::vector<const char*> pointers;

 private:
  static std::string to_text(std::string_view v) { return std::string(v); }
  static std::string to_text(const std::string& v) { return v; }
  static std::string to_text(const char* v) { return v; }
  static std::string to_text(std::int64_t v) { return std::to_string(v); }
  static std::string to_text(std::uint64_t v) { return std::to_string(v); }
  static std::string to_text(int v) { return std::to_string(v); }
  static std::string to_text(bool v) { return v ? "true" : "false"; }
};

// A text[] parameter: the array literal {"a","b"}.
std::string text_array(const std::vector<std::string>& items);

class connection {
 public:
  explicit connection(const std::string& conninfo);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void exec(const char* sql);
  // A session setting (SET ...) and a prepared statement: made now, and
  // again whenever the connection is opened again.
  void setting(const char* sql);
  void prepare(const char* name, const char* sql);
  // A connection lost (PostgreSQL restarted, its backend ended) stays lost
  // in libpq: this opens it again, with its settings and statements, and
  // says whether it is usable. Cheap when nothing was lost.
  bool reopen_if_lost();
  bool usable() const noexcept { return ready_ && PQstatus(c_) == CONNECTION_OK; }
  // Runs a prepared statement and waits for its result.
  template <class... Args>
  result run(const char* name, const Args&... args) {
    return run_params(name, text_params(args...));
  }

 private:
  friend class pipeline;
  result run_params(const char* name, const text_params& params);
  void prepare_now(const char* name, const char* sql);

  PGconn* c_ = nullptr;
  std::vector<std::string> settings_;
  std::vector<std::pair<std::string, std::string>> prepared_;  // name, text
  bool ready_ = true;  // false: opened again, but its settings or statements failed
};

// libpq's pipeline mode: statements are queued with send(), go to the server
// together at sync(), and their results are taken in order with next(). The
// whole pipeline costs one round trip, and is one transaction without a
// BEGIN (the extended protocol's implicit block: committed at the sync if
// every statement succeeded, rolled back otherwise): commit() waits for
// that. After the first failed statement the server skips the rest up to
// the sync (next() throws for each).
class pipeline {
 public:
  explicit pipeline(connection& c);
  // Reads whatever results are left and leaves pipeline mode; the connection
  // is ready for the next statement (or pipeline) afterwards.
  ~pipeline();
  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;

  // Queues a prepared statement.
  template <class... Args>
  void send(const char* name, const Args&... args) {
    send_params(name, text_params(args...));
  }
  // Queues a statement without parameters, such as BEGIN or COMMIT.
  void send_sql(const char* sql);
  // Ends the pipeline and sends all of it, reading what the server answers
  // meanwhile so that neither side blocks on a full socket buffer.
  void sync();
  // The result of the next queued statement; throws pg_error if it failed.
  result next();
  // After every statement's result: waits for the sync's answer, the
  // pipeline's transaction committed; throws pg_error if it was not.
  void commit();

 private:
  void send_params(const char* name, const text_params& params);
  void flush();
  // Reads what is left up to the sync's result; true once read. With
  // `check`, an error result throws (a failed commit).
  bool read_to_sync(bool check);

  PGconn* c_;
  std::deque<std::string> names_;  // the statements whose results next() has not taken
  bool synced_ = false;
  bool ended_ = false;  // the sync's result has been read
};

}  // namespace chorus::store::postgres
