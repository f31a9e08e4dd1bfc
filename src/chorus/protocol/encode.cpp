#include "chorus/protocol/encode.hpp"

#include <boost/json/serialize.hpp>

namespace chorus::protocol {

namespace json = boost::json;

std::string response(std::string_view seq, std::string_view action, core::code c,
                     std::string_view msg, json::object data) {
  json::object r;
  r["code"] = static_cast<int>(c);
  r["msg"] = msg.empty() ? core::code_text(c) : msg;
  r["data"] = std::move(data);
  json::object env;
  env["seq"] = seq;
  env["action"] = action;
  env["response"] = std::move(r);
  return json::serialize(env);
}

json::object message_json(const core::message& m) {
  json::object d;
  d["action"] = "sendmsg";
  d["msgId"] = m.id;
  d["clientMsgId"] = m.client_msg_id;
  d["msgType"] = m.type;
  d["content"] = m.content;
  d["from"] = m.from;
  d["to"] = m.to;
  d["groupsId"] = m.room;
  d["appId"] = m.app;
  d["msgTimestamp"] = std::to_string(m.ts_ms / 1000);
  d["msgTimeMs"] = m.ts_ms;
  d["conv"] = m.conv;
  d["convSeq"] = m.seq;
  return d;
}

std::string message_push(const core::message& m) {
  json::object env;
  env["code"] = 200;
  env["msg"] = "success";
  env["data"] = message_json(m);
  return json::serialize(env);
}

std::string event_push(std::string_view action, json::object fields) {
  fields["action"] = action;
  json::object env;
  env["code"] = 200;
  env["msg"] = "success";
  env["data"] = std::move(fields);
  return json::serialize(env);
}

}  // namespace chorus::protocol
