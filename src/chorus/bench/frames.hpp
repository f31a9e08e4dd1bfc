// Client frames the bench sends, built from prebuilt pieces, and a scanner
// that pulls the few fields the bench needs out of a server frame without a
// full JSON parse. The scanner relies on the server's key order
// (protocol/encode.cpp) and on the bench's own seq and content values, which
// contain no quotes or escapes. Pure: any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chorus::bench {

struct login_args {
  std::string user_id;
  std::string app_id;    // empty: the server's default
  std::string to_uid;    // empty: none
  std::string groups_id; // empty: none
};

std::string login_frame(const login_args& a);
std::string heartbeat_frame();
std::string sync_frame();

// The part of a sendmsg frame after the seq, up to the recipient's value:
//   ","action":"sendmsg","data":{"<to_field>":"<to>
std::string sendmsg_prefix(std::string_view to_field, std::string_view to);
// {"seq":"<seq>" + prefix + ","msgId":"<seq>","message":"<sent_us> xxx..."}}
// (content padded to `size`; no msgId when with_msg_id is false)
std::string sendmsg_frame(const std::string& prefix, std::uint64_t seq, std::int64_t sent_us,
                          std::size_t size, bool with_msg_id = true);

// The send time written by sendmsg_frame at the start of the content; -1 if none.
std::int64_t content_time_us(std::string_view content);

struct frame_info {
  enum class kind { response, message, event, unknown };
  kind k = kind::unknown;
  std::string_view seq;     // response
  std::string_view action;  // response: the request's action; push: data.action
  int code = 0;             // response code, or the push's
  std::string_view conv;    // message push, sendmsg/ack responses
  std::int64_t conv_seq = -1;
  std::string_view content;  // message push
  std::string_view from;     // message push: the sender
  std::int64_t delivered = -1;  // sync response
};

frame_info scan_frame(std::string_view frame);

}  // namespace chorus::bench
