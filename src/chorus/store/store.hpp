// The storage interface: durable messages with a gap-free sequence per
// conversation, idempotent appends, room membership and per-device delivery
// cursors. Two implementations pass one contract suite
// (tests/unit/store/store_contract_test.cpp): memory_store (tests) and
// sqlite_store (the embedded default); PostgreSQL slots in behind it.
//
// Every call returns at once; its callback runs later, on a thread of the
// store's choosing (a writer or reader thread; the caller's own thread for the
// memory store). Callbacks must be short and must not block: post real work
// to its owner. Writes complete in the order they were committed, so the
// callbacks of one conversation's appends run in convSeq order. A read sees
// every write (cursors and read marks included) issued before it.
#pragma once

#include "chorus/core/message.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chorus::store {

enum class status {
  ok,
  not_member,  // the user may not read or write this conversation
  error,       // the store failed; nothing was written
};

struct append_request {
  core::message msg;           // app, conv, from, to, room, type, content, client_msg_id
  bool require_member = false; // room: the sender must be a member
};

struct append_result {
  status st = status::ok;
  bool duplicate = false;  // the (app, from, client_msg_id) was seen: `msg` is the first one
  core::message msg;       // with id, seq and ts_ms set
};

struct join_result {
  status st = status::ok;
  bool joined = false;          // false: was a member already
  std::uint64_t joined_seq = 0; // messages after this one are the member's
};

struct leave_result {
  status st = status::ok;
  bool left = false;  // false: was not a member
};

struct position {
  std::string conv;
  std::uint64_t seq = 0;  // everything up to and including seq is delivered
};

struct sync_request {
  std::string app, user, device;
  std::vector<position> known;  // what this session delivered already (overrides the device's cursors)
  std::size_t limit = 500;
  // A conversation not in `known` starts after the device's stored cursor
  // (a connection's first round: it takes over where the device was), or,
  // when false, after the join point (later rounds: the first round placed
  // every conversation there was, so one unknown now is newer than that and
  // this connection has been handed none of it).
  bool resume_device = true;
};

// Where delivery of `conv` starts for this request, before the join point is
// applied: what the session says it has (the larger, if it says twice) or,
// for a conversation it has no position in, the device's stored `cursor` if
// the request resumes the device. Known overrides the cursor: two live
// connections of one device share the cursor, and the one that acked further
// must not make the other skip what it was never handed.
inline std::uint64_t sync_from(const sync_request& r, const std::string& conv, std::uint64_t cursor) {
  std::optional<std::uint64_t> from;
  for (auto& k : r.known)
    if (k.conv == conv) from = std::max(from.value_or(0), k.seq);
  return from ? *from : r.resume_device ? cursor : 0;
}

struct sync_result {
  status st = status::ok;
  std::vector<position> convs;        // every conversation of the user, with the point delivery starts after
  std::vector<core::message> missed;  // by conversation, then convSeq ascending
  bool more = false;                  // the limit cut the result short: ask again
};

// Either end of a one-to-one conversation may read it; a room, its members.
struct history_request {
  std::string app, user, conv;
  std::uint64_t before = 0;  // 0: the newest
  std::size_t limit = 50;
};

struct history_result {
  status st = status::ok;
  std::vector<core::message> messages;  // convSeq descending
};

struct conv_summary {
  std::string conv;
  std::uint64_t last_seq = 0;
  std::uint64_t read_seq = 0;  // what the user marked read (never before their join point)
  bool has_last = false;
  core::message last;          // the newest message, if has_last
};

struct conversations_result {
  status st = status::ok;
  std::vector<conv_summary> convs;  // the most recently active first
};

// The order of a conversation list: newest last message first, then the
// conversations without messages, by name.
inline void sort_by_activity(std::vector<conv_summary>& convs) {
  std::sort(convs.begin(), convs.end(), [](const conv_summary& a, const conv_summary& b) {
    if (a.has_last != b.has_last) return a.has_last;
    if (a.has_last && a.last.ts_ms != b.last.ts_ms) return a.last.ts_ms > b.last.ts_ms;
    if (a.has_last && a.last.id != b.last.id) return a.last.id > b.last.id;
    return a.conv < b.conv;
  });
}

struct room_info {
  std::string room;
  std::size_t members = 0;
};

struct members_result {
  status st = status::ok;
  std::vector<std::string> users;
};

struct rooms_result {
  status st = status::ok;
  std::vector<room_info> rooms;
};

class store {
 public:
  virtual ~store() = default;

  // Stores a message and gives it the next convSeq, or returns the first
  // result of an earlier append with the same (app, from, client_msg_id).
  // A direct conversation makes both users members on its first message.
  // The sender's read mark moves to the new message.
  virtual void append(append_request r, std::function<void(append_result)> done) = 0;
  virtual void join(std::string app, std::string room, std::string user,
                    std::function<void(join_result)> done) = 0;
  virtual void leave(std::string app, std::string room, std::string user,
                     std::function<void(leave_result)> done) = 0;
  // Moves a device's cursor forward (never back). Cursors of one batch are
  // coalesced into one write each. `done` (may be empty) runs once the
  // cursor is committed; a store may hold marks without one back a moment
  // to share a transaction, never marks with one.
  virtual void advance_cursor(std::string app, std::string user, std::string device,
                              std::string conv, std::uint64_t seq, std::function<void(status)> done) = 0;
  // Commits the marks held back so far without waiting for the moment to
  // pass (a closing session: it handed its cursors over without a
  // callback, and its device may log in elsewhere at once).
  virtual void expedite_marks() {}

  // Moves the user's read mark in `conv` forward (all devices share it).
  // Coalesced like cursors; `done` (may be empty) runs once committed.
  virtual void mark_read(std::string app, std::string user, std::string conv, std::uint64_t seq,
                         std::function<void(status)> done) = 0;

  virtual void sync(sync_request r, std::function<void(sync_result)> done) = 0;
  virtual void conversations(std::string app, std::string user,
                             std::function<void(conversations_result)> done) = 0;
  virtual void history(history_request r, std::function<void(history_result)> done) = 0;
  virtual void room_members(std::string app, std::string room,
                            std::function<void(members_result)> done) = 0;
  virtual void rooms(std::string app, std::function<void(rooms_result)> done) = 0;

  // Blocks until every write accepted so far is committed (shutdown, tests).
  virtual void flush() = 0;
};

}  // namespace chorus::store
