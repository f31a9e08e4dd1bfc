#include "chorus/protocol/fields.hpp"

#include "chorus/core/ids.hpp"

namespace chorus::protocol {

namespace json = boost::json;
using core::code;

namespace {

field_error bad(std::string msg, code c = code::bad_parameter) { return {c, std::move(msg)}; }

// Reads an id given as a string or an integer (the Go clients sent both).
// Absent or null: `fallback`. Returns false, with `err`, when present but bad.
bool read_id(const json::object& d, const char* name, std::string& out, const char* fallback,
             field_error& err, code bad_code = code::bad_parameter) {
  auto* v = d.if_contains(name);
  if (!v || v->is_null() || (v->is_string() && v->get_string().empty())) {
    if (!fallback) {
      err = bad(std::string(name) + " is required", bad_code);
      return false;
    }
    out = fallback;
    return true;
  }
  if (v->is_string()) out.assign(v->get_string().data(), v->get_string().size());
  else if (v->is_int64()) out = std::to_string(v->get_int64());
  else if (v->is_uint64()) out = std::to_string(v->get_uint64());
  else {
    err = bad(std::string(name) + " must be a string or an integer", bad_code);
    return false;
  }
  if (!core::valid_id(out)) {
    err = bad(std::string(name) + " must be 1-64 characters of A-Z a-z 0-9 _ . : @ -", bad_code);
    return false;
  }
  return true;
}

bool read_string(const json::object& d, const char* name, std::string& out, std::size_t max,
                 field_error& err) {
  auto* v = d.if_contains(name);
  if (!v || v->is_null()) return true;
  if (!v->is_string()) {
    err = bad(std::string(name) + " must be a string");
    return false;
  }
  if (v->get_string().size() > max) {
    err = bad(std::string(name) + " is longer than " + std::to_string(max) + " bytes", code::too_large);
    return false;
  }
  out.assign(v->get_string().data(), v->get_string().size());
  return true;
}

bool read_uint(const json::object& d, const char* name, std::uint64_t& out, field_error& err) {
  auto* v = d.if_contains(name);
  if (!v || v->is_null()) return true;
  if (v->is_uint64()) out = v->get_uint64();
  else if (v->is_int64() && v->get_int64() >= 0) out = static_cast<std::uint64_t>(v->get_int64());
  else {
    err = bad(std::string(name) + " must be a non-negative integer");
    return false;
  }
  return true;
}

template <class T>
checked<T> fail(field_error e) {
  checked<T> c;
  c.error = std::move(e);
  return c;
}

template <class T>
checked<T> ok(T v) {
  checked<T> c;
  c.value = std::move(v);
  return c;
}

}  // namespace

checked<login_data> read_login(const json::object& d) {
  login_data l;
  field_error e;
  if (!read_id(d, "userId", l.user, nullptr, e, code::bad_user_id)) return fail<login_data>(e);
  if (!read_id(d, "appId", l.app, "", e)) return fail<login_data>(e);
  if (!read_string(d, "token", l.token, 4096, e)) return fail<login_data>(e);
  if (!read_id(d, "toUid", l.to_uid, "0", e)) return fail<login_data>(e);
  if (!read_id(d, "groupsId", l.room, "0", e)) return fail<login_data>(e);
  if (!read_id(d, "deviceId", l.device, "default", e)) return fail<login_data>(e);
  std::string mode;
  if (!read_string(d, "ackMode", mode, 16, e)) return fail<login_data>(e);
  if (!mode.empty() && mode != "auto" && mode != "manual")
    return fail<login_data>(bad("ackMode must be \"auto\" or \"manual\""));
  l.manual_ack = mode == "manual";
  return ok(std::move(l));
}

checked<sendmsg_data> read_sendmsg(const json::object& d, const limits& lim) {
  sendmsg_data m;
  field_error e;
  if (!read_id(d, "toUid", m.to_uid, "0", e)) return fail<sendmsg_data>(e);
  if (!read_id(d, "groupsId", m.room, "0", e)) return fail<sendmsg_data>(e);
  if (!read_string(d, "msgType", m.type, 32, e)) return fail<sendmsg_data>(e);
  if (m.type.empty()) m.type = "text";
  auto* msg = d.if_contains("message");
  if (!msg || !msg->is_string()) return fail<sendmsg_data>(bad("message must be a string"));
  if (msg->get_string().empty()) return fail<sendmsg_data>(bad("message is empty"));
  if (!read_string(d, "message", m.content, lim.max_message_bytes, e)) return fail<sendmsg_data>(e);
  if (!read_id(d, "msgId", m.client_msg_id, "", e)) return fail<sendmsg_data>(e);
  return ok(std::move(m));
}

checked<conv_ref> read_conv_ref(const json::object& d) {
  conv_ref r;
  field_error e;
  if (!read_string(d, "conv", r.conv, 2 * core::max_id_length + 3, e)) return fail<conv_ref>(e);
  if (!r.conv.empty()) {
    if (!core::valid_conv(r.conv)) return fail<conv_ref>(bad("conv is not a conversation id"));
    return ok(std::move(r));
  }
  if (!read_id(d, "toUid", r.to_uid, "0", e)) return fail<conv_ref>(e);
  if (!read_id(d, "groupsId", r.room, "0", e)) return fail<conv_ref>(e);
  if (r.to_uid == "0" && r.room == "0")
    return fail<conv_ref>(bad("name the conversation with conv, toUid or groupsId"));
  return ok(std::move(r));
}

checked<ack_data> read_ack(const json::object& d) {
  ack_data a;
  auto where = read_conv_ref(d);
  if (!where) return fail<ack_data>(where.error);
  a.where = std::move(*where);
  field_error e;
  if (!d.contains("convSeq")) return fail<ack_data>(bad("convSeq is required"));
  if (!read_uint(d, "convSeq", a.seq, e)) return fail<ack_data>(e);
  return ok(std::move(a));
}

checked<history_data> read_history(const json::object& d, const limits& lim) {
  history_data h;
  auto where = read_conv_ref(d);
  if (!where) return fail<history_data>(where.error);
  h.where = std::move(*where);
  field_error e;
  if (!read_uint(d, "beforeSeq", h.before, e)) return fail<history_data>(e);
  std::uint64_t limit = h.limit;
  if (!read_uint(d, "limit", limit, e)) return fail<history_data>(e);
  if (limit == 0 || limit > lim.max_history)
    return fail<history_data>(bad("limit must be 1.." + std::to_string(lim.max_history)));
  h.limit = static_cast<std::size_t>(limit);
  return ok(std::move(h));
}

checked<room_data> read_room(const json::object& d) {
  room_data r;
  field_error e;
  if (!read_id(d, "groupsId", r.room, nullptr, e)) return fail<room_data>(e);
  if (r.room == "0") return fail<room_data>(bad("groupsId \"0\" is not a room"));
  return ok(std::move(r));
}

}  // namespace chorus::protocol
