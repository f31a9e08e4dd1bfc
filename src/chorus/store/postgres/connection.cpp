#include "chorus/store/postgres/connection.hpp"

namespace chorus::store::postgres {

namespace {
std::string trimmed(const char* text) {
  std::string s = text ? text : "unknown error";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Owns `r` and throws unless it is a success.
result checked(PGconn* c, PGresult* r, const char* what) {
  auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return result(r);
  std::string why = trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(c));
  PQclear(r);
  throw pg_error(std::string(what) + ": " + why);
}
}  // namespace

connection::connection(const std::string& conninfo) : c_(PQconnectdb(conninfo.c_str())) {
  if (!c_ || PQstatus(c_) != CONNECTION_OK) {
    std::string why = trimmed(c_ ? PQerrorMessage(c_) : "out of memory");
    PQfinish(c_);
    c_ = nullptr;
    throw pg_error("cannot connect to PostgreSQL: " + why);
  }
}

connection::~connection() { PQfinish(c_); }

void connection::exec(const char* sql) { checked(c_, PQexec(c_, sql), sql); }

void connection::prepare(const char* name, const char* sql) {
  checked(c_, PQprepare(c_, name, sql, 0, nullptr), name);
}

result connection::run_params(const char* name, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (auto& p : params) values.push_back(p.c_str());
  return checked(c_, PQexecPrepared(c_, name, static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0),
                 name);
}

}  // namespace chorus::store::postgres
