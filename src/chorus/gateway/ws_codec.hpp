// RFC 6455 as pure functions and one small state machine, with no I/O: the
// accept key of the upgrade, frame headers for what the server sends (and
// masked frames for a client: chorus-bench), and a reader that turns the
// peer's bytes into messages and control frames, enforcing the RFC's rules
// (masking, reserved bits, control frame limits, fragmentation, close codes,
// UTF-8 of text) and our size limit.
//
// Why by hand and not Beast's websocket::stream: Beast's stream carries ~2.6
// KiB per connection (a 1.5 KiB read buffer inside the stream, a timer, the
// handshake state) plus ~0.6 KiB of handler memory for the pending read, and
// writes one message per write operation. Chorus holds ~19,000 mostly idle
// connections per process and sends many small frames to busy ones; this
// reader keeps nothing per connection between frames, and the transport
// (ws_session) writes every queued frame in one gather write. Beast still
// parses the HTTP upgrade request. See docs/benchmarks.md for the numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace chorus::gateway::ws {

enum class opcode : std::uint8_t { cont = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

// Close codes of RFC 6455 section 7.4.1 that the server sends.
inline constexpr std::uint16_t close_normal = 1000;
inline constexpr std::uint16_t close_protocol_error = 1002;
inline constexpr std::uint16_t close_no_status = 1005;  // never on the wire: "the peer gave none"
inline constexpr std::uint16_t close_bad_payload = 1007;
inline constexpr std::uint16_t close_too_big = 1009;

// Sec-WebSocket-Accept for a Sec-WebSocket-Key, or nothing if the key is not
// the base64 of 16 bytes (RFC 6455 4.2.1).
std::optional<std::string> accept_key(std::string_view client_key);

// A client's Sec-WebSocket-Key: the base64 of 16 (random) bytes.
std::string client_key(std::span<const unsigned char, 16> nonce);

// Whether `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

// Writes the header of an unmasked, final frame of `op` carrying `size` bytes
// into `out` (at most max_header bytes); returns its length.
inline constexpr std::size_t max_header = 10;
std::size_t frame_header(std::uint8_t* out, opcode op, std::uint64_t size) noexcept;
// A whole control frame (header + payload, payload <= 125 bytes).
std::string control_frame(opcode op, std::string_view payload);
// A close frame with `code` and `reason` (cut to fit 125 bytes, on a UTF-8
// boundary); for close_no_status, a close frame with no payload.
std::string close_frame(std::uint16_t code, std::string_view reason);

// Appends a final frame of `op` carrying `payload`, masked with `key` as a
// client must send it (RFC 6455 5.3).
void append_client_frame(std::string& out, opcode op, std::string_view payload, std::uint32_t key);

// Which end of the connection reads: a server reads masked frames only, a
// client unmasked ones only (RFC 6455 5.1).
enum class role : std::uint8_t { server, client };

// Reads frames from the bytes the peer sent. Feed it the unread bytes; it
// parses at most one frame per call, unmasking in place.
class reader {
 public:
  enum class kind {
    need_more,  // no whole frame yet: keep the bytes, read more
    message,    // a whole text or binary message
    ping,
    pong,
    close,      // the peer's close; `code` is its status (1005 if none)
    fail,       // a protocol violation: close with `code`, say `reason`
    none,       // a frame was consumed that yields nothing yet (a fragment)
  };
  struct result {
    kind what = kind::need_more;
    std::size_t consumed = 0;  // bytes of the input used up
    bool binary = false;
    // The message or control payload, valid until the next call (it points
    // into the input, or into the reader for a fragmented message); for
    // close, the reason.
    std::string_view payload;
    std::uint16_t code = 0;
    const char* reason = "";  // for fail
  };

  explicit reader(std::uint32_t max_message, role r = role::server) noexcept
      : max_message_(max_message), client_(r == role::client) {}
  result next(std::span<char> in);
  // Heap memory held for a fragmented message in progress.
  std::size_t held() const noexcept { return fragments_ ? fragments_->capacity() : 0; }

 private:
  result fail(std::uint16_t code, const char* why);

  std::unique_ptr<std::string> fragments_;  // a fragmented message being put together
  std::uint32_t max_message_;
  bool client_;
  bool in_message_ = false;
  bool message_binary_ = false;
  bool release_fragments_ = false;  // the last result pointed into fragments_
};

}  // namespace chorus::gateway::ws
