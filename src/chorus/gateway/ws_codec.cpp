#include "chorus/gateway/ws_codec.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace chorus::gateway::ws {

namespace {

bool is_base64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Codes a peer may send in a close frame (RFC 6455 7.4, IANA registry).
bool valid_close_code(std::uint16_t c) noexcept {
  if (c >= 3000 && c <= 4999) return true;
  if (c < 1000 || c > 1014) return false;
  return c != 1004 && c != 1005 && c != 1006;
}

std::uint64_t load_be(const unsigned char* p, int n) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

void unmask(char* p, std::size_t n, const unsigned char* key) noexcept {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>(static_cast<unsigned char>(p[i]) ^ key[i & 3]);
}

}  // namespace

std::optional<std::string> accept_key(std::string_view key) {
  // 16 bytes in base64: 22 characters and "==".
  if (key.size() != 24 || key.substr(22) != "==" || !std::all_of(key.begin(), key.begin() + 22, is_base64_char))
    return std::nullopt;
  static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string in;
  in.reserve(key.size() + guid.size());
  in.append(key).append(guid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
  unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

std::string client_key(std::span<const unsigned char, 16> nonce) {
  unsigned char out[4 * ((16 + 2) / 3) + 1];
  int n = EVP_EncodeBlock(out, nonce.data(), 16);
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

bool valid_utf8(std::string_view s) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  auto end = p + s.size();
  while (p < end) {
    // ASCII runs, eight bytes at a time where aligned data allows.
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p == end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;               // no overlongs
    else if (c == 0xED) n = 2, hi = 0x9F;               // no surrogates
    else if (c >= 0xE1 && c <= 0xEF) n = 2;
    else if (c == 0xF0) n = 3, lo = 0x90;               // no overlongs
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;               // <= U+10FFFF
    else return false;                                  // 0x80-0xC1, 0xF5-0xFF
    if (end - p <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= n; ++i)
      if ((p[i] & 0xC0) != 0x80) return false;
    p += n + 1;
  }
  return true;
}

std::size_t frame_header(std::uint8_t* out, opcode op, std::uint64_t size) noexcept {
  out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(op));
  if (size < 126) {
    out[1] = static_cast<std::uint8_t>(size);
    return 2;
  }
  if (size <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(size >> 8);
    out[3] = static_cast<std::uint8_t>(size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(size >> (56 - 8 * i));
  return 10;
}

void append_client_frame(std::string& out, opcode op, std::string_view payload, std::uint32_t key) {
  std::uint8_t head[max_header + 4];
  auto n = frame_header(head, op, payload.size());
  head[1] |= 0x80;
  unsigned char k[4];
  std::memcpy(k, &key, 4);
  std::memcpy(head + n, k, 4);
  out.append(reinterpret_cast<const char*>(head), n + 4);
  auto start = out.size();
  out.append(payload);
  unmask(out.data() + start, payload.size(), k);  // XOR: masking and unmasking are one
}

std::string control_frame(opcode op, std::string_view payload) {
  payload = payload.substr(0, 125);
  std::uint8_t head[max_header];
  auto n = frame_header(head, op, payload.size());
  std::string f(reinterpret_cast<const char*>(head), n);
  f.append(payload);
  return f;
}

std::string close_frame(std::uint16_t code, std::string_view reason) {
  if (code == close_no_status) return control_frame(opcode::close, {});
  // 125 bytes of payload: the code and at most 123 of reason, not cut
  // inside a UTF-8 sequence.
  if (reason.size() > 123) {
    std::size_t cut = 123;
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason);
  return control_frame(opcode::close, payload);
}

reader::result reader::fail(std::uint16_t code, const char* why) {
  result r;
  r.what = kind::fail;
  r.code = code;
  r.reason = why;
  return r;
}

reader::result reader::next(std::span<char> in) {
  if (release_fragments_) {
    fragments_.reset();
    release_fragments_ = false;
  }
  result r;
  if (in.size() < 2) return r;
  auto b = reinterpret_cast<const unsigned char*>(in.data());
  bool fin = b[0] & 0x80;
  unsigned op = b[0] & 0x0F;
  if (b[0] & 0x70) return fail(close_protocol_error, "reserved bits set (no extension was agreed)");
  if (op > 0xA || (op > 0x2 && op < 0x8)) return fail(close_protocol_error, "unknown opcode");
  bool masked = b[1] & 0x80;
  if (masked == client_)
    return fail(close_protocol_error, client_ ? "server frames must not be masked" : "client frames must be masked");
  bool control = op & 0x8;
  std::uint64_t len = b[1] & 0x7F;
  if (control && (!fin || len > 125))
    return fail(close_protocol_error, "control frames must be final and at most 125 bytes");
  std::size_t header = 2;
  if (len == 126) {
    if (in.size() < 4) return r;
    len = load_be(b + 2, 2);
    header = 4;
    if (len < 126) return fail(close_protocol_error, "frame length not minimally encoded");
  } else if (len == 127) {
    if (in.size() < 10) return r;
    len = load_be(b + 2, 8);
    header = 10;
    if (len >> 63) return fail(close_protocol_error, "frame length out of range");
    if (len <= 0xFFFF) return fail(close_protocol_error, "frame length not minimally encoded");
  }
  if (!control) {
    if (op == 0 && !in_message_) return fail(close_protocol_error, "continuation frame without a message");
    if (op != 0 && in_message_) return fail(close_protocol_error, "new message inside a fragmented one");
    std::size_t so_far = op == 0 && fragments_ ? fragments_->size() : 0;
    // Refused from the header alone: an oversize message is never buffered.
    std::size_t max = max_message_;
    if (len > max - std::min(so_far, max)) return fail(close_too_big, "message too big");
  }
  const unsigned char* key = b + header;
  if (masked) header += 4;
  if (in.size() < header + len) return r;
  char* payload = in.data() + header;
  if (masked) unmask(payload, len, key);
  std::string_view data(payload, len);
  r.consumed = header + len;
  switch (static_cast<opcode>(op)) {
    case opcode::ping:
      r.what = kind::ping;
      r.payload = data;
      return r;
    case opcode::pong:
      r.what = kind::pong;
      r.payload = data;
      return r;
    case opcode::close:
      if (len == 1) return fail(close_protocol_error, "close frame with a 1-byte payload");
      r.what = kind::close;
      r.code = close_no_status;
      if (len >= 2) {
        r.code = static_cast<std::uint16_t>(load_be(reinterpret_cast<const unsigned char*>(payload), 2));
        if (!valid_close_code(r.code)) return fail(close_protocol_error, "invalid close code");
        r.payload = data.substr(2);
        if (!valid_utf8(r.payload)) return fail(close_bad_payload, "close reason is not valid UTF-8");
      }
      return r;
    case opcode::text:
    case opcode::binary:
      if (fin) {
        if (op == 0x1 && !valid_utf8(data)) return fail(close_bad_payload, "text message is not valid UTF-8");
        r.what = kind::message;
        r.binary = op == 0x2;
        r.payload = data;
        return r;
      }
      in_message_ = true;
      message_binary_ = op == 0x2;
      fragments_ = std::make_unique<std::string>(data);
      r.what = kind::none;
      return r;
    case opcode::cont:
      fragments_->append(data);
      if (!fin) {
        r.what = kind::none;
        return r;
      }
      in_message_ = false;
      release_fragments_ = true;
      if (!message_binary_ && !valid_utf8(*fragments_))
        return fail(close_bad_payload, "text message is not valid UTF-8");
      r.what = kind::message;
      r.binary = message_binary_;
      r.payload = *fragments_;
      return r;
  }
  return fail(close_protocol_error, "unknown opcode");
}

}  // namespace chorus::gateway::ws
