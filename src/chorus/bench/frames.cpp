// Building the bench's client frames and scanning the server's frames (see frames.hpp).
#include "chorus/bench/frames.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <functional>

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

// A key to look for, with its Boyer-Moore-Horspool table built once. Not
// string_view::find, which looks for the needle's first character and
// compares at each, and every key here starts with a quote, the commonest
// byte of a frame; nor memmem, which builds its table at every call. (A
// profile of the tool reading 800,000 frames a second: 30% of its CPU in
// find's memchr and memcmp; 20% in memmem.)
struct key {
  explicit key(std::string_view k) : text(k), searcher(k.begin(), k.end()) {}
  std::string_view text;
  std::boyer_moore_horspool_searcher<std::string_view::const_iterator> searcher;
};

// Where `k` starts in `f` at or after `from`; npos if nowhere.
std::size_t find(std::string_view f, const key& k, std::size_t from = 0) {
  if (from > f.size()) return std::string_view::npos;
  auto [it, end] = k.searcher(f.begin() + static_cast<std::ptrdiff_t>(from), f.end());
  return it == f.end() ? std::string_view::npos : static_cast<std::size_t>(it - f.begin());
}

// The key at `at` itself (the layout the server writes), else searched from there.
std::size_t find_at(std::string_view f, const key& k, std::size_t at) {
  if (at <= f.size() && f.substr(at).starts_with(k.text)) return at;
  return find(f, k, at);
}

// Walks `,"name":"value"` fields from `at` to `k` (the server's layout, whose
// values before the content hold no quotes); npos if it meets anything else.
std::size_t walk_to(std::string_view f, const key& k, std::size_t at) {
  for (int n = 0; n < 8 && at < f.size() && f[at] == ','; ++n) {
    ++at;
    if (f.substr(at).starts_with(k.text)) return at;
    auto name_end = f.find('"', at + 1);
    if (name_end == std::string_view::npos || f.substr(name_end, 3) != R"(":")") return std::string_view::npos;
    auto value_end = f.find('"', name_end + 3);
    if (value_end == std::string_view::npos) return std::string_view::npos;
    at = value_end + 1;
  }
  return std::string_view::npos;
}

// The string value after `"key":"`, searched from `from`; empty if absent.
std::string_view string_field(std::string_view f, const key& k, std::size_t from = 0, bool at = false) {
  auto p = at ? find_at(f, k, from) : find(f, k, from);
  if (p == std::string_view::npos) return {};
  p += k.text.size();
  auto e = f.find('"', p);
  if (e == std::string_view::npos) return {};
  return f.substr(p, e - p);
}

std::int64_t int_field(std::string_view f, const key& k, std::size_t from = 0) {
  auto p = find(f, k, from);
  if (p == std::string_view::npos) return -1;
  p += k.text.size();
  std::int64_t v = -1;
  auto r = std::from_chars(f.data() + p, f.data() + f.size(), v);
  return r.ec == std::errc{} ? v : -1;
}

const key k_seq{R"({"seq":")"}, k_action{R"("action":")"}, k_response{R"("response":{)"}, k_code{R"("code":)"},
    k_conv{R"("conv":")"}, k_conv_seq{R"("convSeq":)"}, k_delivered{R"("delivered":)"}, k_code_first{R"({"code":)"},
    k_push_data{R"("data":{"action":"sendmsg")"}, k_data{R"("data":{)"}, k_content{R"("content":")"},
    k_from{R"("from":")"};

// `..."conv":"<conv>","convSeq":<n>}}` at the end of `f`, read backwards.
bool tail_conv(std::string_view f, frame_info& i) {
  if (!f.ends_with("}}")) return false;
  std::size_t end = f.size() - 2, start = end;
  while (start > 0 && f[start - 1] >= '0' && f[start - 1] <= '9') --start;
  static constexpr std::string_view seq_key = R"(","convSeq":)";
  if (start == end || !f.substr(0, start).ends_with(seq_key)) return false;
  std::size_t conv_end = start - seq_key.size();  // the conv value's closing quote
  auto open = f.rfind('"', conv_end - 1);
  if (open == std::string_view::npos || !f.substr(0, open + 1).ends_with(k_conv.text)) return false;
  std::int64_t v = -1;
  if (std::from_chars(f.data() + start, f.data() + end, v).ec != std::errc{}) return false;
  i.conv = f.substr(open + 1, conv_end - open - 1);
  i.conv_seq = v;
  return true;
}

}  // namespace

frame_info scan_frame(std::string_view f) {
  frame_info i;
  if (f.starts_with(R"({"seq":)")) {
    i.k = frame_info::kind::response;
    i.seq = string_field(f, k_seq);
    i.action = string_field(f, k_action);
    auto r = find(f, k_response);
    if (r == std::string_view::npos) return i;
    i.code = static_cast<int>(int_field(f, k_code, r));
    i.conv = string_field(f, k_conv, r);
    i.conv_seq = int_field(f, k_conv_seq, r);
    i.delivered = int_field(f, k_delivered, r);
    return i;
  }
  if (!f.starts_with(R"({"code":)")) return i;
  i.code = static_cast<int>(int_field(f, k_code_first));
  // A message push starts its data with the action; an event's action comes last.
  // The server's usual start of one (protocol/encode.cpp) is checked in place.
  static constexpr std::string_view push_start = R"({"code":200,"msg":"success","data":{"action":"sendmsg")";
  auto d = f.starts_with(push_start) ? push_start.size() - k_push_data.text.size() : find(f, k_push_data);
  if (d == std::string_view::npos) {
    auto data = find(f, k_data);
    if (data == std::string_view::npos) return i;
    i.k = frame_info::kind::event;
    i.action = string_field(f, k_action, data);
    return i;
  }
  i.action = "sendmsg";
  i.k = frame_info::kind::message;
  auto c = walk_to(f, k_content, d + k_push_data.text.size());
  if (c == std::string_view::npos) c = find(f, k_content, d);
  if (c == std::string_view::npos) return i;
  i.content = string_field(f, k_content, c, true);
  // from comes right after the content, conv and convSeq end the frame
  // (encode.cpp's key order); read in place, searched if not there.
  auto after = c + k_content.text.size() + i.content.size() + 2;  // past `",`
  i.from = string_field(f, k_from, after, true);
  if (!tail_conv(f, i)) {
    i.conv = string_field(f, k_conv, after);
    i.conv_seq = int_field(f, k_conv_seq, after);
  }
  return i;
}

}  // namespace chorus::bench
