// A stored chat message: what the store keeps and what a push carries.
// Plain data: any thread.
#pragma once

#include <cstdint>
#include <string>

namespace chorus::core {

struct message {
  std::string app;            // tenant
  std::string conv;           // conversation id (core/ids.hpp)
  std::uint64_t seq = 0;      // position in the conversation: 1, 2, 3, ...
  std::string id;             // server message id (snowflake, 16 hex digits)
  std::string client_msg_id;  // the sender's idempotency key; may be empty
  std::string from;           // sender user id
  std::string to;             // recipient user id, "0" for a room message
  std::string room;           // room id, "0" for a one-to-one message
  std::string type;           // msgType: "text", ...
  std::string content;
  std::int64_t ts_ms = 0;     // server time of acceptance: when its sendmsg was read (0: the store's)
};

}  // namespace chorus::core
