// Thin RAII over libpq: a connection with named prepared statements run with
// text parameters, and a result. Errors throw pg_error; the store catches
// them at the batch boundary. A connection belongs to one thread.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
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

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> r_;
};

class connection {
 public:
  explicit connection(const std::string& conninfo);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void exec(const char* sql);
  void prepare(const char* name, const char* sql);
  // Runs a prepared statement; each argument is sent as text.
  template <class... Args>
  result run(const char* name, const Args&... args) {
    std::vector<std::string> params{to_text(args)...};
    return run_params(name, params);
  }

 private:
  static std::string to_text(std::string_view v) { return std::string(v); }
  static std::string to_text(const std::string& v) { return v; }
  static std::string to_text(const char* v) { return v; }
  static std::string to_text(std::int64_t v) { return std::to_string(v); }
  static std::string to_text(std::uint64_t v) { return std::to_string(v); }
  static std::string to_text(int v) { return std::to_string(v); }
  result run_params(const char* name, const std::vector<std::string>& params);

  PGconn* c_ = nullptr;
};

}  // namespace chorus::store::postgres
