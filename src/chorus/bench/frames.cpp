// Building the bench's client frames and scanning the server's frames (see frames.hpp).
#include "chorus/bench/frames.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>

namespace chorus::bench {

namespace json = boost::json;

std::string login_frame(const login_args& a) {
  json::object d;
  d["userId"] = a.user_id;
  if (!a.app_id.empty()) d["appId"] = a.app_id;
  if (!a.to_uid.empty()) d["toUid"] = a.to_uid;
  if (!a.groups_id.empty()) d["groupsId"] = a.groups_id;
  json::object f;
  f["seq"] = "login";
  f["action"] = "login";
  f["data"] = std::move(d);
  return json::serialize(f);
}

std::string heartbeat_frame() { return R"({"seq":"hb","action":"heartbeat","data":{}})"; }

std::string sync_frame() { return R"({"seq":"sync","action":"sync","data":{}})"; }

std::string sendmsg_prefix(std::string_view to_field, std::string_view to) {
  std::string p = R"(","action":"sendmsg","data":{")";
  p.append(to_field).append(R"(":")").append(to);
  return p;
}

std::string sendmsg_frame(const std::string& prefix, std::uint64_t seq, std::int64_t sent_us,
                          std::size_t size, bool with_msg_id) {
  char num[24];
  auto seq_end = std::to_chars(num, num + sizeof num, seq).ptr;
  std::string_view seq_s(num, static_cast<std::size_t>(seq_end - num));
  char t[24];
  auto t_end = std::to_chars(t, t + sizeof t, sent_us).ptr;
  std::string_view t_s(t, static_cast<std::size_t>(t_end - t));

  std::string f;
  f.reserve(prefix.size() + 2 * seq_s.size() + size + 40);
  f.append(R"({"seq":")").append(seq_s).append(prefix);
  if (with_msg_id) f.append(R"(","msgId":")").append(seq_s);
  f.append(R"(","message":")");
  f.append(t_s);
  if (size > t_s.size()) {
    f.push_back(' ');
    if (size > t_s.size() + 1) f.append(size - t_s.size() - 1, 'x');
  }
  f.append(R"("}})");
  return f;
}

std::int64_t content_time_us(std::string_view content) {
  std::int64_t v = -1;
  auto r = std::from_chars(content.data(), content.data() + content.size(), v);
  if (r.ec != std::errc{}) return -1;
  return v;
}

namespace {

// The string value after `"key":"`, searched from `from`; empty if absent.
std::string_view string_field(std::string_view f, std::string_view key_colon_quote, std::size_t from = 0) {
  auto p = f.find(key_colon_quote, from);
  if (p == std::string_view::npos) return {};
  p += key_colon_quote.size();
  auto e = f.find('"', p);
  if (e == std::string_view::npos) return {};
  return f.substr(p, e - p);
}

std::int64_t int_field(std::string_view f, std::string_view key_colon, std::size_t from = 0) {
  auto p = f.find(key_colon, from);
  if (p == std::string_view::npos) return -1;
  p += key_colon.size();
  std::int64_t v = -1;
  auto r = std::from_chars(f.data() + p, f.data() + f.size(), v);
  return r.ec == std::errc{} ? v : -1;
}

}  // namespace

frame_info scan_frame(std::string_view f) {
  frame_info i;
  if (f.starts_with(R"({"seq":)")) {
    i.k = frame_info::kind::response;
    i.seq = string_field(f, R"({"seq":")");
    i.action = string_field(f, R"("action":")");
    auto r = f.find(R"("response":{)");
    if (r == std::string_view::npos) return i;
    i.code = static_cast<int>(int_field(f, R"("code":)", r));
    i.conv = string_field(f, R"("conv":")", r);
    i.conv_seq = int_field(f, R"("convSeq":)", r);
    i.delivered = int_field(f, R"("delivered":)", r);
    return i;
  }
  if (!f.starts_with(R"({"code":)")) return i;
  i.code = static_cast<int>(int_field(f, R"({"code":)"));
  // A message push starts its data with the action; an event's action comes last.
  auto d = f.find(R"("data":{"action":"sendmsg")");
  if (d == std::string_view::npos) {
    auto data = f.find(R"("data":{)");
    if (data == std::string_view::npos) return i;
    i.k = frame_info::kind::event;
    i.action = string_field(f, R"("action":")", data);
    return i;
  }
  i.action = "sendmsg";
  i.k = frame_info::kind::message;
  auto c = f.find(R"("content":")", d);
  if (c == std::string_view::npos) return i;
  i.content = string_field(f, R"("content":")", c);
  // from, conv and convSeq come after the content (encode.cpp's key order).
  auto after = c + i.content.size();
  i.from = string_field(f, R"("from":")", after);
  i.conv = string_field(f, R"("conv":")", after);
  i.conv_seq = int_field(f, R"("convSeq":)", after);
  return i;
}

}  // namespace chorus::bench
