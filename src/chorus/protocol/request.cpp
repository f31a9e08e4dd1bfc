#include "chorus/protocol/request.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

namespace chorus::protocol {

namespace json = boost::json;

namespace {
// The seq is echoed in the response, so accept what the Go clients sent
// (a string, sometimes a number) but nothing structured or huge.
bool read_seq(const json::value& v, std::string& out) {
  if (v.is_string()) {
    if (v.get_string().size() > max_seq_length) return false;
    out.assign(v.get_string().data(), v.get_string().size());
    return true;
  }
  if (v.is_int64()) { out = std::to_string(v.get_int64()); return true; }
  if (v.is_uint64()) { out = std::to_string(v.get_uint64()); return true; }
  return false;
}
// Where a frame's JSON lives: one block, sized for a usual frame, taken
// with the resource itself, and more blocks only for a large frame. With
// the default resource every object key, object table and longer string
// was an allocation of its own, ~15 per sendmsg. The request's `data`
// holds the resource (shared), so it lives as long as any part of it.
class frame_resource final : public json::memory_resource {
 public:
  static constexpr std::size_t inline_bytes = 768;  // all told under glibc's per-thread cache limit (1,032 B)

 private:
  void* do_allocate(std::size_t n, std::size_t align) override { return mono_.allocate(n, align); }
  void do_deallocate(void*, std::size_t, std::size_t) override {}  // all at once, with the request
  bool do_is_equal(const json::memory_resource& other) const noexcept override { return this == &other; }

  alignas(16) unsigned char buf_[inline_bytes];
  json::monotonic_resource mono_{buf_, sizeof buf_};
};
}  // namespace

parse_result parse_request(std::string_view frame) {
  json::storage_ptr sp = json::make_shared_resource<frame_resource>();
  // `data` made on the same resource, so that moving the parsed object
  // into it takes it as it is (an assignment keeps the target's resource
  // and copies from any other).
  parse_result r{core::code::ok, {}, request{{}, {}, json::object(sp)}};
  json::parse_options opt;
  opt.max_depth = max_json_depth;
  opt.allow_invalid_utf8 = false;
  std::error_code ec;
  json::value v = json::parse(frame, ec, sp, opt);
  if (ec) {
    r.code = core::code::malformed_frame;
    r.error = "malformed JSON: " + ec.message();
    return r;
  }
  if (!v.is_object()) {
    r.code = core::code::malformed_frame;
    r.error = "a frame must be a JSON object";
    return r;
  }
  auto& obj = v.get_object();
  if (auto* s = obj.if_contains("seq"); s && !s->is_null()) {
    if (!read_seq(*s, r.req.seq)) {
      r.code = core::code::bad_parameter;
      r.error = "seq must be a string of at most 128 bytes";
      return r;
    }
  }
  auto* a = obj.if_contains("action");
  if (!a || !a->is_string() || a->get_string().empty() || a->get_string().size() > max_action_length) {
    r.code = core::code::bad_parameter;
    r.error = "action must be a non-empty string";
    return r;
  }
  r.req.action.assign(a->get_string().data(), a->get_string().size());
  if (auto* d = obj.if_contains("data"); d && !d->is_null()) {
    if (!d->is_object()) {
      r.code = core::code::bad_parameter;
      r.error = "data must be an object";
      return r;
    }
    r.req.data = std::move(d->get_object());
  }
  return r;
}

}  // namespace chorus::protocol
