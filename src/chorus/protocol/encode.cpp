#include "chorus/protocol/encode.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>

#include <algorithm>

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

namespace {
// A JSON string (quoted, escaped by Boost.JSON's serializer) appended to out.
// Most strings (ids, names, plain text) need no escape: those are copied
// between quotes, the same bytes the serializer writes (it escapes only
// '"', '\\' and control characters), without making one per field.
void append_string(std::string& out, std::string_view s) {
  bool plain = std::none_of(s.begin(), s.end(), [](char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
  if (plain) {
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return;
  }
  json::serializer sr;
  sr.reset(s);
  char buf[512];
  while (!sr.done()) out.append(sr.read(buf));
}

void append_field(std::string& out, std::string_view key_and_colon, std::string_view value) {
  out.append(key_and_colon);
  append_string(out, value);
}
}  // namespace

// The same bytes as serializing {"code":200,"msg":"success","data":
// message_json(m)} (encode_test checks), written straight into one string:
// this runs once per stored message on the store's commit thread, where
// building the object (a hash table and a copy of every field) cost more
// than the writing.
std::string message_push(const core::message& m) {
  std::string out;
  out.reserve(256 + m.content.size() + m.conv.size() + m.client_msg_id.size());
  out.append(R"({"code":200,"msg":"success","data":{"action":"sendmsg")");
  append_field(out, R"(,"msgId":)", m.id);
  append_field(out, R"(,"clientMsgId":)", m.client_msg_id);
  append_field(out, R"(,"msgType":)", m.type);
  append_field(out, R"(,"content":)", m.content);
  append_field(out, R"(,"from":)", m.from);
  append_field(out, R"(,"to":)", m.to);
  append_field(out, R"(,"groupsId":)", m.room);
  append_field(out, R"(,"appId":)", m.app);
  append_field(out, R"(,"msgTimestamp":)", std::to_string(m.ts_ms / 1000));
  out.append(R"(,"msgTimeMs":)").append(std::to_string(m.ts_ms));
  append_field(out, R"(,"conv":)", m.conv);
  out.append(R"(,"convSeq":)").append(std::to_string(m.seq));
  out.append("}}");
  return out;
}

// The same bytes as response() given the data as a Boost.JSON object
// (encode_test checks), written straight into one string: one per message
// on the sender's shard, where building the two objects and serializing
// them cost ~11,000 instructions an answer (callgrind).
std::string sendmsg_answer(std::string_view seq, std::string_view action, const core::message& m,
                           bool duplicate) {
  std::string out;
  out.reserve(192 + seq.size() + action.size() + m.id.size() + m.client_msg_id.size() + m.conv.size());
  append_field(out, R"({"seq":)", seq);
  append_field(out, R"(,"action":)", action);
  out.append(R"(,"response":{"code":200,"msg":)");
  append_string(out, core::code_text(core::code::ok));
  append_field(out, R"(,"data":{"msgId":)", m.id);
  append_field(out, R"(,"clientMsgId":)", m.client_msg_id);
  append_field(out, R"(,"conv":)", m.conv);
  out.append(R"(,"convSeq":)").append(std::to_string(m.seq));
  append_field(out, R"(,"msgTimestamp":)", std::to_string(m.ts_ms / 1000));
  out.append(R"(,"msgTimeMs":)").append(std::to_string(m.ts_ms));
  out.append(duplicate ? R"(,"duplicate":true}}})" : R"(,"duplicate":false}}})");
  return out;
}

std::string delivered_push(std::string_view conv, std::string_view from, std::uint64_t seq) {
  std::string out;
  out.reserve(96 + conv.size() + from.size());
  append_field(out, R"({"code":200,"msg":"success","data":{"conv":)", conv);
  append_field(out, R"(,"from":)", from);
  out.append(R"(,"convSeq":)").append(std::to_string(seq));
  out.append(R"(,"action":"delivered"}})");
  return out;
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
