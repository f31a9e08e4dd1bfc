// Typed views of the `data` object of each action, validated: ids, lengths,
// types. A failed validation carries the code and a message that names the
// field. Pure: any thread.
#pragma once

#include "chorus/core/codes.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace chorus::protocol {

struct field_error {
  core::code code = core::code::bad_parameter;
  std::string msg;
};

template <class T>
struct checked {
  std::optional<T> value;
  field_error error;
  explicit operator bool() const noexcept { return value.has_value(); }
  T& operator*() { return *value; }
  T* operator->() { return &*value; }
};

struct limits {
  std::size_t max_message_bytes = 16 * 1024;
  std::size_t max_history = 100;
};

struct login_data {
  std::string user;
  std::string app;       // empty: the node's default appId
  std::string token;
  std::string to_uid;    // "0": none; the default recipient of sendmsg
  std::string room;      // "0": none; a room joined at login
  std::string device;    // "default" unless named
  bool manual_ack = false;
};

struct sendmsg_data {
  std::string to_uid;         // "0" or empty: the login's toUid
  std::string room;           // "0": one-to-one
  std::string type;           // msgType, default "text"
  std::string content;
  std::string client_msg_id;  // idempotency key; may be empty
};

// A conversation named either by `conv` or by toUid/groupsId (as sendmsg does).
struct conv_ref {
  std::string conv;
  std::string to_uid;
  std::string room;
};

struct ack_data {
  conv_ref where;
  std::uint64_t seq = 0;
};

struct history_data {
  conv_ref where;
  std::uint64_t before = 0;  // 0: from the newest
  std::size_t limit = 50;
};

struct room_data {
  std::string room;
};

checked<login_data> read_login(const boost::json::object& d);
checked<sendmsg_data> read_sendmsg(const boost::json::object& d, const limits& l);
checked<ack_data> read_ack(const boost::json::object& d);
checked<history_data> read_history(const boost::json::object& d, const limits& l);
checked<room_data> read_room(const boost::json::object& d);
checked<conv_ref> read_conv_ref(const boost::json::object& d);

}  // namespace chorus::protocol
