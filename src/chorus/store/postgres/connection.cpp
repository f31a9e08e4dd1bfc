#include "chorus/store/postgres/connection.hpp"

#include <poll.h>

#include <cerrno>
#include <cstring>

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
  std::string why = st == PGRES_PIPELINE_ABORTED ? "skipped after an earlier failure in its pipeline"
                                                 : trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(c));
  PQclear(r);
  throw pg_error(std::string(what) + ": " + why);
}
}  // namespace

std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (auto& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char ch : item) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + '}';
}

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

void connection::setting(const char* sql) {
  exec(sql);
  settings_.emplace_back(sql);
}

void connection::prepare(const char* name, const char* sql) {
  prepare_now(name, sql);
  prepared_.emplace_back(name, sql);
}

void connection::prepare_now(const char* name, const char* sql) {
  checked(c_, PQprepare(c_, name, sql, 0, nullptr), name);
}

bool connection::reopen_if_lost() {
  if (usable()) return true;
  if (PQpipelineStatus(c_) != PQ_PIPELINE_OFF) PQexitPipelineMode(c_);
  PQsetnonblocking(c_, 0);
  PQreset(c_);
  ready_ = false;
  if (PQstatus(c_) != CONNECTION_OK) return false;
  try {
    for (auto& sql : settings_) exec(sql.c_str());
    for (auto& [name, sql] : prepared_) prepare_now(name.c_str(), sql.c_str());
  } catch (const pg_error&) {
    return false;  // tried again next time
  }
  ready_ = true;
  return true;
}

result connection::run_params(const char* name, const text_params& params) {
  return checked(c_, PQexecPrepared(c_, name, params.size(), params.data(), nullptr, nullptr, 0), name);
}

pipeline::pipeline(connection& c) : c_(c.c_) {
  if (!PQenterPipelineMode(c_)) throw pg_error("cannot enter pipeline mode: " + trimmed(PQerrorMessage(c_)));
  // Queued statements stay in libpq's buffer until sync() sends them.
  PQsetnonblocking(c_, 1);
}

pipeline::~pipeline() {
  try {
    // Left before its sync (a send failed): what was queued must not take
    // effect, and would, at the sync. A ROLLBACK ends the pipeline's
    // transaction keeping nothing (PostgreSQL warns that no transaction
    // block was open; the implicit one is rolled back all the same).
    if (!synced_) {
      send_sql("ROLLBACK");
      sync();
    }
  } catch (const pg_error&) {
    // The connection failed; there is nothing left to read.
  }
  if (synced_ && !ended_) read_to_sync(false);
  PQexitPipelineMode(c_);
  PQsetnonblocking(c_, 0);
}

void pipeline::send_params(const char* name, const text_params& params) {
  if (!PQsendQueryPrepared(c_, name, params.size(), params.data(), nullptr, nullptr, 0))
    throw pg_error(std::string(name) + ": " + trimmed(PQerrorMessage(c_)));
  names_.emplace_back(name);
}

void pipeline::send_sql(const char* sql) {
  if (!PQsendQueryParams(c_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0))
    throw pg_error(std::string(sql) + ": " + trimmed(PQerrorMessage(c_)));
  names_.emplace_back(sql);
}

void pipeline::sync() {
  if (!PQpipelineSync(c_)) throw pg_error("pipeline sync: " + trimmed(PQerrorMessage(c_)));
  synced_ = true;
  flush();
  PQsetnonblocking(c_, 0);  // next() waits for each result
}

// Sends what libpq has buffered. Results the server sends back meanwhile are
// read into libpq's buffer: a server blocked on writing them would stop
// reading, and a client blocked on writing would never read them.
void pipeline::flush() {
  for (;;) {
    int left = PQflush(c_);
    if (left == 0) return;
    if (left < 0) throw pg_error("pipeline send: " + trimmed(PQerrorMessage(c_)));
    pollfd p{PQsocket(c_), POLLIN | POLLOUT, 0};
    if (p.fd < 0) throw pg_error("pipeline send: the connection is closed");
    if (::poll(&p, 1, -1) < 0 && errno != EINTR) throw pg_error(std::string("pipeline poll: ") + std::strerror(errno));
    if ((p.revents & POLLIN) && !PQconsumeInput(c_))
      throw pg_error("pipeline receive: " + trimmed(PQerrorMessage(c_)));
  }
}

void pipeline::commit() {
  if (!names_.empty()) throw pg_error("pipeline: a statement's result was not taken");
  if (!read_to_sync(true)) throw pg_error("commit: no answer (" + trimmed(PQerrorMessage(c_)) + ")");
}

bool pipeline::read_to_sync(bool check) {
  // Every statement's results end with a null, the pipeline with the sync's
  // result; a broken connection gives nulls only, hence the bound.
  for (std::size_t nulls = 0; nulls <= names_.size() + 1;) {
    PGresult* r = PQgetResult(c_);
    if (!r) {
      ++nulls;
      continue;
    }
    if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      ended_ = true;
      return true;
    }
    if (check)
      checked(c_, r, "commit");  // throws for an error, such as a failed commit
    else
      PQclear(r);
  }
  return false;
}

result pipeline::next() {
  if (names_.empty()) throw pg_error("pipeline: no statement left to read");
  std::string name = std::move(names_.front());
  names_.pop_front();
  PGresult* r = PQgetResult(c_);
  // The null that ends this statement's results.
  if (r)
    while (PGresult* extra = PQgetResult(c_)) PQclear(extra);
  return checked(c_, r, name.c_str());
}

}  // namespace chorus::store::postgres
