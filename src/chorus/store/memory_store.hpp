// An in-memory store for unit tests (LevelDB's memenv idea): the whole
// contract, no durability. Thread-safe by one mutex; callbacks run on the
// calling thread after the mutex is released.
#pragma once

#include "chorus/core/snowflake.hpp"
#include "chorus/store/store.hpp"

#include <map>
#include <mutex>
#include <set>
#include <tuple>

namespace chorus::store {

class memory_store final : public store {
 public:
  explicit memory_store(unsigned node_id = 0) : ids_(node_id) {}

  void append(append_request r, std::function<void(append_result)> done) override;
  void join(std::string app, std::string room, std::string user,
            std::function<void(join_result)> done) override;
  void leave(std::string app, std::string room, std::string user,
             std::function<void(leave_result)> done) override;
  void advance_cursor(std::string app, std::string user, std::string device, std::string conv,
                      std::uint64_t seq, std::function<void(status)> done) override;
  void mark_read(std::string app, std::string user, std::string conv, std::uint64_t seq,
                 std::function<void(status)> done) override;
  void sync(sync_request r, std::function<void(sync_result)> done) override;
  void conversations(std::string app, std::string user, std::function<void(conversations_result)> done) override;
  void history(history_request r, std::function<void(history_result)> done) override;
  void room_members(std::string app, std::string room,
                    std::function<void(members_result)> done) override;
  void rooms(std::string app, std::function<void(rooms_result)> done) override;
  void flush() override {}

 private:
  using conv_key = std::pair<std::string, std::string>;                  // app, conv
  using member_key = std::tuple<std::string, std::string, std::string>;  // app, user, conv
  using cursor_key = std::tuple<std::string, std::string, std::string, std::string>;
  using idem_key = std::tuple<std::string, std::string, std::string>;    // app, from, client id

  std::mutex mu_;
  core::snowflake ids_;
  std::map<conv_key, std::vector<core::message>> convs_;  // index seq-1
  std::map<member_key, std::uint64_t> members_;           // -> joined_seq
  std::map<cursor_key, std::uint64_t> cursors_;
  std::map<member_key, std::uint64_t> reads_;  // app, user, conv -> read seq
  std::map<idem_key, std::pair<conv_key, std::uint64_t>> idem_;
};

}  // namespace chorus::store
