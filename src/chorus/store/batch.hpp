// The two halves a threaded_store runs on its threads: a batch_writer that
// applies a batch of writes in one transaction (group commit), and a
// query_reader that answers reads on a connection of its own. SQLite and
// PostgreSQL each implement both; threaded_store supplies the threads,
// queues, ordering and read-your-writes tickets once for both.
#pragma once

#include "chorus/store/store.hpp"

#include <functional>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace chorus::store {

struct append_op {
  append_request req;
  std::function<void(append_result)> done;
  append_result res;
};
struct join_op {
  std::string app, room, user;
  std::function<void(join_result)> done;
  join_result res;
};
struct leave_op {
  std::string app, room, user;
  std::function<void(leave_result)> done;
  leave_result res;
};
using write_op = std::variant<append_op, join_op, leave_op>;

// (app, user, device, conv) -> seq; the newest of a batch wins.
using cursor_map = std::map<std::tuple<std::string, std::string, std::string, std::string>, std::uint64_t>;
// (app, user, conv) -> seq; the newest of a batch wins.
using read_map = std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t>;

class batch_writer {
 public:
  virtual ~batch_writer() = default;
  // Runs the batch in one transaction and fills in each op's result. On
  // failure every result is status::error and nothing of the batch is kept.
  // Returns whether it committed.
  virtual bool run(std::vector<write_op>& ops, const cursor_map& cursors, const read_map& reads) = 0;
  // Called after each batch has been answered; `idle` says no write is
  // queued. Upkeep that must run on the writer's connection goes here.
  virtual void upkeep(bool idle) { (void)idle; }
};

// Each call may throw std::exception on a failure; the store turns it into
// status::error for the caller.
class query_reader {
 public:
  virtual ~query_reader() = default;
  virtual sync_result sync(const sync_request& r) = 0;
  // Several syncs waiting together (a burst of logins), one result per
  // request in order. A database that can answer them in one round trip
  // does (PostgreSQL, in one statement); the default runs them one by one. If
  // it throws, the store runs each again by sync(), so that one failing
  // request fails alone.
  virtual std::vector<sync_result> sync_many(std::span<const sync_request* const> rs) {
    std::vector<sync_result> out;
    out.reserve(rs.size());
    for (auto* r : rs) out.push_back(sync(*r));
    return out;
  }
  virtual history_result history(const history_request& r) = 0;
  virtual conversations_result conversations(const std::string& app, const std::string& user) = 0;
  virtual members_result room_members(const std::string& app, const std::string& room) = 0;
  virtual rooms_result rooms(const std::string& app) = 0;
};

// Told about every batch, on the writer thread: its writes, the time to
// write and commit it, and whether it committed (metrics, tests).
using batch_observer = std::function<void(std::size_t writes, double seconds, bool committed)>;

}  // namespace chorus::store
