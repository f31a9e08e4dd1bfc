// Server-to-client frames: the response to a request and the push of a
// message or an event, in the Go system's shapes (docs/protocol.md). Pure: any
// thread. A push is encoded once and shared by every recipient.
#pragma once

#include "chorus/core/codes.hpp"
#include "chorus/core/message.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace chorus::protocol {

// {"seq":..,"action":..,"response":{"code":..,"msg":..,"data":{..}}}
// An empty `msg` takes the code's standard text.
std::string response(std::string_view seq, std::string_view action, core::code c,
                     std::string_view msg = {}, boost::json::object data = {});

// The answer to a stored (or repeated: `duplicate`) sendmsg: response(seq,
// action, ok, {}, data) with data {msgId, clientMsgId, conv, convSeq,
// msgTimestamp, msgTimeMs, duplicate}, the same bytes written straight into
// one string.
std::string sendmsg_answer(std::string_view seq, std::string_view action, const core::message& m,
                           bool duplicate);

// The `data` object of a message push: action sendmsg, ids, content, conv, convSeq.
boost::json::object message_json(const core::message& m);

// {"code":200,"msg":"success","data":{"action":"sendmsg",...}}
std::string message_push(const core::message& m);

// {"code":200,"msg":"success","data":{"action":<action>, ...fields}}
std::string event_push(std::string_view action, boost::json::object fields);

// The delivered event, event_push("delivered", {conv, from, convSeq}), the
// same bytes written straight into one string: one goes to a sender per
// busy conversation every 20 ms.
std::string delivered_push(std::string_view conv, std::string_view from, std::uint64_t seq);

}  // namespace chorus::protocol
