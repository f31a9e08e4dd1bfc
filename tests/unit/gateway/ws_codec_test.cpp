#include "chorus/gateway/socket_input.hpp"
#include "chorus/gateway/ws_codec.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace ws = chorus::gateway::ws;
using kind = ws::reader::kind;

namespace {

// A client frame as a browser sends it: masked with `key`.
std::string client_frame(unsigned op, std::string_view payload, bool fin = true, std::string_view key = "\x11\x22\x33\x44",
                         int force_len_bytes = 0) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | op));
  auto n = payload.size();
  int len_bytes = force_len_bytes ? force_len_bytes : (n < 126 ? 0 : n <= 0xFFFF ? 2 : 8);
  if (len_bytes == 0) {
    f.push_back(static_cast<char>(0x80 | n));
  } else {
    f.push_back(static_cast<char>(0x80 | (len_bytes == 2 ? 126 : 127)));
    for (int i = len_bytes - 1; i >= 0; --i) f.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  f.append(key);
  for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  return f;
}

struct parsed {
  kind what;
  std::string payload;
  std::uint16_t code = 0;
  bool binary = false;
  std::size_t consumed = 0;
};

// Feeds `bytes` to `r` and collects every result until it needs more or fails.
std::vector<parsed> feed(ws::reader& r, std::string bytes) {
  std::vector<parsed> out;
  std::size_t off = 0;
  for (;;) {
    auto res = r.next(std::span<char>(bytes.data() + off, bytes.size() - off));
    off += res.consumed;
    if (res.what == kind::need_more) break;
    out.push_back({res.what, std::string(res.payload), res.code, res.binary, res.consumed});
    if (res.what == kind::fail) break;
  }
  return out;
}

}  // namespace

TEST(WsCodec, AcceptKeyOfTheRfcExample) {
  EXPECT_EQ(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==").value(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsCodec, AClientKeyIsTheBase64OfItsNonceAndHasAnAcceptKey) {
  // RFC 6455 1.3's example: the nonce "the sample nonce".
  std::string_view sample = "the sample nonce";
  unsigned char nonce[16];
  std::memcpy(nonce, sample.data(), 16);
  auto key = ws::client_key(nonce);
  EXPECT_EQ(key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(ws::accept_key(key).value(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsCodec, AcceptKeyRefusesMalformedKeys) {
  EXPECT_FALSE(ws::accept_key(""));
  EXPECT_FALSE(ws::accept_key("short=="));
  EXPECT_FALSE(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ"));    // no padding
  EXPECT_FALSE(ws::accept_key("dGhlIHNhbXBsZSBub25j!Q=="));  // not base64
  EXPECT_FALSE(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==x"));
}

TEST(WsCodec, Utf8Validation) {
  EXPECT_TRUE(ws::valid_utf8(""));
  EXPECT_TRUE(ws::valid_utf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(ws::valid_utf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_TRUE(ws::valid_utf8("\xF4\x8F\xBF\xBF"));                              // U+10FFFF
  EXPECT_TRUE(ws::valid_utf8("\xED\x9F\xBF"));                                  // U+D7FF
  EXPECT_FALSE(ws::valid_utf8("\xFF"));
  EXPECT_FALSE(ws::valid_utf8("\x80"));                  // lone continuation
  EXPECT_FALSE(ws::valid_utf8("\xC3"));                  // truncated
  EXPECT_FALSE(ws::valid_utf8("abc\xE2\x82"));           // truncated at the end
  EXPECT_FALSE(ws::valid_utf8("\xC0\xAF"));              // overlong '/'
  EXPECT_FALSE(ws::valid_utf8("\xE0\x80\xAF"));          // overlong
  EXPECT_FALSE(ws::valid_utf8("\xF0\x80\x80\xAF"));      // overlong
  EXPECT_FALSE(ws::valid_utf8("\xED\xA0\x80"));          // surrogate U+D800
  EXPECT_FALSE(ws::valid_utf8("\xF4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_FALSE(ws::valid_utf8("\xC3\x28"));              // bad continuation
  EXPECT_FALSE(ws::valid_utf8("aaaaaaaaaaaaaaaa\xFE"));  // after an ASCII run
}

TEST(WsCodec, FrameHeadersUseTheShortestLength) {
  std::uint8_t h[ws::max_header];
  EXPECT_EQ(ws::frame_header(h, ws::opcode::text, 125), 2u);
  EXPECT_EQ(h[0], 0x81);
  EXPECT_EQ(h[1], 125);
  EXPECT_EQ(ws::frame_header(h, ws::opcode::text, 126), 4u);
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ((h[2] << 8) | h[3], 126);
  EXPECT_EQ(ws::frame_header(h, ws::opcode::text, 65535), 4u);
  EXPECT_EQ(ws::frame_header(h, ws::opcode::binary, 65536), 10u);
  EXPECT_EQ(h[0], 0x82);
  EXPECT_EQ(h[1], 127);
  EXPECT_EQ(h[7], 1);  // 65536 = 0x00 00 00 00 00 01 00 00
  EXPECT_EQ(h[8], 0);
}

TEST(WsCodec, CloseFrameCarriesCodeAndCutsTheReasonOnACharacter) {
  auto f = ws::close_frame(4001, "slow");
  ASSERT_EQ(f.size(), 2u + 2 + 4);
  EXPECT_EQ(static_cast<unsigned char>(f[0]), 0x88);
  EXPECT_EQ(f[1], 6);
  EXPECT_EQ((static_cast<unsigned char>(f[2]) << 8) | static_cast<unsigned char>(f[3]), 4001);
  std::string longer(122, 'x');
  longer += "\xE2\x82\xAC";  // a 3-byte character across the 123-byte limit
  auto g = ws::close_frame(1000, longer);
  EXPECT_LE(g.size(), 2u + 125);
  EXPECT_TRUE(ws::valid_utf8(std::string_view(g).substr(4)));
  EXPECT_EQ(g.size(), 2u + 2 + 122);
}

TEST(WsCodec, ReadsMaskedMessagesOfEveryLengthForm) {
  for (std::size_t n : {0u, 1u, 125u, 126u, 65535u, 65536u, 70000u}) {
    ws::reader r(1 << 20);
    std::string text(n, 'a');
    for (std::size_t i = 0; i < n; ++i) text[i] = static_cast<char>('a' + i % 26);
    auto out = feed(r, client_frame(0x1, text));
    ASSERT_EQ(out.size(), 1u) << n;
    EXPECT_EQ(out[0].what, kind::message);
    EXPECT_FALSE(out[0].binary);
    EXPECT_EQ(out[0].payload, text) << n;
  }
}

TEST(WsCodec, NeedsMoreUntilTheWholeFrameIsThere) {
  ws::reader r(1024);
  auto f = client_frame(0x1, "hello there");
  for (std::size_t cut = 0; cut < f.size(); ++cut) {
    std::string part = f.substr(0, cut);
    auto res = r.next(std::span<char>(part.data(), part.size()));
    EXPECT_EQ(res.what, kind::need_more) << cut;
    EXPECT_EQ(res.consumed, 0u);
  }
  auto out = feed(r, f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, "hello there");
  EXPECT_EQ(out[0].consumed, f.size());
}

TEST(WsCodec, SeveralFramesInOneRead) {
  ws::reader r(1024);
  auto out = feed(r, client_frame(0x1, "one") + client_frame(0x9, "p") + client_frame(0x2, "\x01\x02") +
                         client_frame(0xA, ""));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].payload, "one");
  EXPECT_EQ(out[1].what, kind::ping);
  EXPECT_EQ(out[1].payload, "p");
  EXPECT_EQ(out[2].what, kind::message);
  EXPECT_TRUE(out[2].binary);
  EXPECT_EQ(out[3].what, kind::pong);
}

TEST(WsCodec, ReassemblesFragmentsWithControlFramesBetween) {
  ws::reader r(1024);
  auto out = feed(r, client_frame(0x1, "hel", false) + client_frame(0x9, "ping") + client_frame(0x0, "lo ", false) +
                         client_frame(0x0, "world"));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].what, kind::none);
  EXPECT_EQ(out[1].what, kind::ping);
  EXPECT_EQ(out[2].what, kind::none);
  EXPECT_EQ(out[3].what, kind::message);
  EXPECT_EQ(out[3].payload, "hello world");
  // The assembled message is released on the next call.
  auto more = feed(r, client_frame(0x1, "next"));
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].payload, "next");
  EXPECT_EQ(r.held(), 0u);
}

TEST(WsCodec, ValidatesUtf8OfTheWholeFragmentedMessage) {
  ws::reader r(1024);
  // A 2-byte character split across two fragments is fine.
  auto ok = feed(r, client_frame(0x1, "caf\xC3", false) + client_frame(0x0, "\xA9"));
  ASSERT_EQ(ok.size(), 2u);
  EXPECT_EQ(ok[1].payload, "caf\xC3\xA9");
  auto bad = feed(r, client_frame(0x1, "caf\xC3", false) + client_frame(0x0, "("));
  ASSERT_EQ(bad.back().what, kind::fail);
  EXPECT_EQ(bad.back().code, ws::close_bad_payload);
}

TEST(WsCodec, ClosePayloads) {
  {
    ws::reader r(1024);
    auto out = feed(r, client_frame(0x8, ""));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].what, kind::close);
    EXPECT_EQ(out[0].code, ws::close_no_status);
  }
  {
    ws::reader r(1024);
    auto out = feed(r, client_frame(0x8, std::string("\x03\xE8") + "bye"));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].code, 1000);
    EXPECT_EQ(out[0].payload, "bye");
  }
  {
    ws::reader r(1024);
    auto out = feed(r, client_frame(0x8, std::string("\x0F\xA1")));  // 4001
    EXPECT_EQ(out.at(0).code, 4001);
  }
}

struct bad_case {
  const char* name;
  std::string bytes;
  std::uint16_t code;
};

TEST(WsCodec, ProtocolViolationsFailWithTheRightCode) {
  std::string unmasked = client_frame(0x1, "hi");
  unmasked[1] = static_cast<char>(unmasked[1] & 0x7F);
  std::string rsv = client_frame(0x1, "hi");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  std::vector<bad_case> cases = {
      {"unmasked", unmasked, ws::close_protocol_error},
      {"reserved bit", rsv, ws::close_protocol_error},
      {"opcode 3", client_frame(0x3, "x"), ws::close_protocol_error},
      {"opcode 0xB", client_frame(0xB, "x"), ws::close_protocol_error},
      {"fragmented ping", client_frame(0x9, "x", false), ws::close_protocol_error},
      {"long ping", client_frame(0x9, std::string(126, 'x')), ws::close_protocol_error},
      {"continuation first", client_frame(0x0, "x"), ws::close_protocol_error},
      {"text inside text", client_frame(0x1, "a", false) + client_frame(0x1, "b"), ws::close_protocol_error},
      {"16-bit length for 5 bytes", client_frame(0x1, "hello", true, "\x11\x22\x33\x44", 2), ws::close_protocol_error},
      {"64-bit length for 300 bytes", client_frame(0x1, std::string(300, 'x'), true, "\x11\x22\x33\x44", 8),
       ws::close_protocol_error},
      {"close with 1 byte", client_frame(0x8, "\x03"), ws::close_protocol_error},
      {"close code 1005", client_frame(0x8, "\x03\xED"), ws::close_protocol_error},
      {"close code 999", client_frame(0x8, "\x03\xE7"), ws::close_protocol_error},
      {"close code 5000", client_frame(0x8, "\x13\x88"), ws::close_protocol_error},
      {"close reason not UTF-8", client_frame(0x8, "\x03\xE8\xFF"), ws::close_bad_payload},
      {"text not UTF-8", client_frame(0x1, "\xFF\xFE"), ws::close_bad_payload},
  };
  for (auto& c : cases) {
    ws::reader r(1024);
    auto out = feed(r, c.bytes);
    ASSERT_FALSE(out.empty()) << c.name;
    EXPECT_EQ(out.back().what, kind::fail) << c.name;
    EXPECT_EQ(out.back().code, c.code) << c.name;
  }
}

TEST(WsCodec, OversizeIsRefusedFromTheHeaderAlone) {
  ws::reader r(1000);
  auto f = client_frame(0x1, std::string(1001, 'x'));
  // Only the header is given: the reader does not wait for the payload.
  std::string head = f.substr(0, 8);
  auto res = r.next(std::span<char>(head.data(), head.size()));
  EXPECT_EQ(res.what, kind::fail);
  EXPECT_EQ(res.code, ws::close_too_big);
  // Fragments add up to the limit too.
  ws::reader r2(1000);
  auto out = feed(r2, client_frame(0x1, std::string(600, 'x'), false) + client_frame(0x0, std::string(401, 'x')));
  EXPECT_EQ(out.back().what, kind::fail);
  EXPECT_EQ(out.back().code, ws::close_too_big);
  // Exactly the limit is fine.
  ws::reader r3(1000);
  auto ok = feed(r3, client_frame(0x1, std::string(600, 'x'), false) + client_frame(0x0, std::string(400, 'x')));
  EXPECT_EQ(ok.back().what, kind::message);
  EXPECT_EQ(ok.back().payload.size(), 1000u);
}

TEST(WsCodec, AClientFrameIsMaskedAndReadsBackAtTheServer) {
  for (std::size_t n : {0u, 5u, 125u, 126u, 65536u}) {
    std::string text(n, 'q');
    for (std::size_t i = 0; i < n; ++i) text[i] = static_cast<char>('a' + i % 26);
    std::string out = "prefix";
    ws::append_client_frame(out, ws::opcode::text, text, 0x44332211u);
    ASSERT_EQ(out.substr(0, 6), "prefix");
    std::string f = out.substr(6);
    // The same bytes a browser would send with that key.
    EXPECT_EQ(f, client_frame(0x1, text)) << n;
    ws::reader r(1 << 20);
    auto got = feed(r, f);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].what, kind::message);
    EXPECT_EQ(got[0].payload, text);
  }
}

TEST(WsCodec, AClientReadsUnmaskedServerFramesAndRefusesMaskedOnes) {
  ws::reader client(1024, ws::role::client);
  std::uint8_t head[ws::max_header];
  auto h = ws::frame_header(head, ws::opcode::text, 5);
  std::string f(reinterpret_cast<const char*>(head), h);
  f += "hello";
  auto close = ws::close_frame(1008, "policy");
  auto out = feed(client, f + ws::control_frame(ws::opcode::ping, "p") + f + close);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].what, kind::message);
  EXPECT_EQ(out[0].payload, "hello");
  EXPECT_EQ(out[1].what, kind::ping);
  EXPECT_EQ(out[2].payload, "hello");
  EXPECT_EQ(out[3].what, kind::close);
  EXPECT_EQ(out[3].code, 1008);
  EXPECT_EQ(out[3].payload, "policy");

  // A server must not mask; a client fails the connection if it does.
  ws::reader client2(1024, ws::role::client);
  auto bad = feed(client2, client_frame(0x1, "hi"));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].what, kind::fail);
  EXPECT_EQ(bad[0].code, ws::close_protocol_error);
  // And the client's own rules still hold: invalid UTF-8 in a text frame.
  ws::reader client3(1024, ws::role::client);
  h = ws::frame_header(head, ws::opcode::text, 2);
  auto bad_text = feed(client3, std::string(reinterpret_cast<const char*>(head), h) + "\xFF\xFE");
  ASSERT_EQ(bad_text.size(), 1u);
  EXPECT_EQ(bad_text[0].code, ws::close_bad_payload);
}

TEST(WsCodec, APartialFrameIsKeptAcrossReadsAndNothingWhenWhole) {
  // Two frames split at every byte: the first read's tail is kept, joined to
  // the next read, and nothing is held once every frame was handed out.
  std::string bytes = client_frame(0x1, "first") + client_frame(0x1, "second");
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    ws::reader r(1024);
    ws::partial_frame kept;
    std::vector<std::string> got;
    for (auto part : {bytes.substr(0, cut), bytes.substr(cut)}) {
      auto in = kept.join(part.data(), part.size());
      std::size_t off = 0;
      for (;;) {
        auto res = r.next(in.subspan(off));
        off += res.consumed;
        if (res.what == kind::need_more) break;
        got.emplace_back(res.payload);
      }
      kept.keep(in, off, false);
    }
    EXPECT_EQ(got, (std::vector<std::string>{"first", "second"})) << cut;
    EXPECT_TRUE(kept.empty()) << cut;
  }
  // Dropped on request (a connection that reads no more frames).
  ws::partial_frame kept;
  std::string half = bytes.substr(0, 3);
  auto in = kept.join(half.data(), half.size());
  kept.keep(in, 0, false);
  EXPECT_FALSE(kept.empty());
  in = kept.join(nullptr, 0);
  EXPECT_EQ(in.size(), 3u);
  kept.keep(in, 0, true);
  EXPECT_TRUE(kept.empty());
}
