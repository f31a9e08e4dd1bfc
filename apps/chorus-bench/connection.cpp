// The WebSocket client behind `connection`: Beast parses the upgrade's HTTP
// response, and the frames are chorus' own codec (gateway/ws_codec) in the
// client role. Why not Beast's websocket::stream, as the tool had first: at
// 600,000 room deliveries a second, a profile of the tool showed a fifth of
// its CPU in the composed read operation's executor copies and destruction
// (one async_read per frame) and its UTF-8 checker, and the tool is what
// limits the room benchmark on a shared two-core box. Here a connection
// waits for readability, reads what the socket holds into one buffer per
// thread and hands every whole frame out of it; a partial frame alone is
// kept per connection. What it sends is masked into one string and written
// with one system call per batch.
#include "connection.hpp"

#include "chorus/core/clock.hpp"
#include "chorus/gateway/socket_input.hpp"
#include "chorus/gateway/ws_codec.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include <netinet/in.h>

#include <array>
#include <random>

namespace chorus::bench {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ws = gateway::ws;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace {

// Lets the kernel pick the source port at connect time, by destination, so
// one source address can reach ~28,000 connections to one port.
using bind_no_port = net::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;

// The largest frame the tool accepts from the server (a sync page is the
// largest it sends; its limit is far below this).
constexpr std::uint32_t max_frame = 16u << 20;
// A connection reads at most this much per turn before letting others run.
constexpr std::size_t read_turn_bytes = 256 * 1024;

// Mask keys and handshake nonces: a load tool on loopback needs them
// unpredictable to no one, only varied; one generator per thread.
std::uint64_t next_random() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen();
}

// The upgrade's state, only while it runs.
struct handshake {
  std::string key;
  std::string request;
  beast::flat_buffer buffer;
  // The header only: a refusal's body (chorusd sends one) is not read, and
  // what follows a 101's header is the first frames.
  http::response_parser<http::empty_body> response;
};

class ws_connection final : public connection, public std::enable_shared_from_this<ws_connection> {
 public:
  ws_connection(net::io_context& io, handlers h) : sock_(io), h_(std::move(h)), reader_(max_frame, ws::role::client) {}

  void connect(const target& t, std::function<void(const std::string&)> done) override {
    error_code ec;
    sock_.open(tcp::v4(), ec);
    if (!ec && t.source) {
      sock_.set_option(bind_no_port(true), ec);
      if (!ec) sock_.bind(tcp::endpoint(*t.source, 0), ec);
    }
    if (ec) {
      net::post(sock_.get_executor(), [done, m = "socket: " + ec.message()] { done(m); });
      return;
    }
    sock_.async_connect(t.server, [self = shared_from_this(), host = t.host, done](error_code ec2) {
      if (ec2) return done("connect: " + ec2.message());
      self->tcp_done_us = core::steady_us();
      error_code ignored;
      self->sock_.set_option(tcp::no_delay(true), ignored);
      self->upgrade(host, std::move(done));
    });
  }

  void send(std::shared_ptr<const std::string> frame) override {
    if (!open_) return;
    auto key = static_cast<std::uint32_t>(next_random());
    ws::append_client_frame(queued_, ws::opcode::text, *frame, key);
    if (!writing_) flush();
  }

  // An abortive close (RST): the tool would otherwise keep every closed
  // connection in TIME_WAIT for a minute, and the next run's connects,
  // from the same source address to the same port, would pay for a
  // kernel port search among tens of thousands of them (it showed as a
  // handshake tail that grew run after run).
  void close() override {
    closing_ = true;
    open_ = false;
    error_code ec;
    sock_.set_option(net::socket_base::linger(true, 0), ec);
    sock_.close(ec);
  }

 private:
  void upgrade(const std::string& host, std::function<void(const std::string&)> done) {
    hs_ = std::make_unique<handshake>();
    std::array<unsigned char, 16> nonce;
    for (int i = 0; i < 2; ++i) {
      auto r = next_random();
      std::memcpy(nonce.data() + 8 * i, &r, 8);
    }
    hs_->key = ws::client_key(nonce);
    hs_->request = "GET /ws HTTP/1.1\r\nHost: " + host +
                   "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + hs_->key +
                   "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    net::async_write(sock_, net::buffer(hs_->request), [self = shared_from_this(), done](error_code ec, std::size_t) {
      if (ec) return done("upgrade: " + ec.message());
      auto& hs = *self->hs_;
      http::async_read_header(self->sock_, hs.buffer, hs.response, [self, done](error_code ec2, std::size_t) {
        if (ec2) return done("upgrade: " + ec2.message());
        self->on_upgraded(done);
      });
    });
  }

  void on_upgraded(const std::function<void(const std::string&)>& done) {
    auto hs = std::move(hs_);
    auto& res = hs->response.get();
    if (res.result() != http::status::switching_protocols)
      return done("upgrade: HTTP " + std::to_string(res.result_int()));
    if (!beast::iequals(res[http::field::upgrade], "websocket") ||
        !http::token_list(res[http::field::connection]).exists("upgrade"))
      return done("upgrade: no Upgrade: websocket / Connection: Upgrade in the answer");
    auto want = ws::accept_key(hs->key);
    if (!want || res[http::field::sec_websocket_accept] != *want) return done("upgrade: wrong Sec-WebSocket-Accept");
    upgrade_done_us = core::steady_us();
    error_code ec;
    sock_.non_blocking(true, ec);
    if (ec) return done("upgrade: " + ec.message());
    open_ = true;
    // Frames that came with the response stay in the handshake's buffer.
    std::string early(static_cast<const char*>(hs->buffer.data().data()), hs->buffer.size());
    done("");
    if (!early.empty()) {
      consume(early.data(), early.size());
      if (closing_) return;
    }
    wait_readable();
  }

  void flush() {
    if (queued_.empty() || !open_) return;
    writing_ = true;
    std::swap(queued_, sending_);
    net::async_write(sock_, net::buffer(sending_), [self = shared_from_this()](error_code ec, std::size_t) {
      self->writing_ = false;
      self->sending_.clear();
      // Big batches (a burst of sends) leave their capacity; an idle
      // connection keeps no more than a small one.
      if (self->sending_.capacity() > 4096) std::string().swap(self->sending_);
      if (ec || !self->open_) {
        self->queued_.clear();
        return;  // the read side reports the failure
      }
      self->flush();
    });
  }

  void wait_readable() {
    sock_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) { self->on_readable(ec); });
  }

  void on_readable(error_code ec) {
    if (closing_) return;
    if (ec) return fail(ec.message());
    auto end = ws::read_available(sock_, read_turn_bytes, ec, [this](char* data, std::size_t n) {
      consume(data, n);
      return !closing_;
    });
    switch (end) {
      case ws::read_end::waiting:
        return wait_readable();
      case ws::read_end::turn_over:
        net::post(sock_.get_executor(), [self = shared_from_this()] { self->on_readable({}); });
        return;
      case ws::read_end::stopped:
        return;
      case ws::read_end::failed:
        return fail(ec == net::error::eof ? "end of stream" : ec.message());
    }
  }

  // Hands out every whole frame of `data` (the pending partial frame first).
  void consume(char* data, std::size_t size) {
    auto in = pending_.join(data, size);
    std::size_t off = 0;
    while (!closing_) {
      auto r = reader_.next(in.subspan(off));
      off += r.consumed;
      using k = ws::reader::kind;
      if (r.what == k::need_more) break;
      switch (r.what) {
        case k::message:
          h_.on_frame(r.payload);
          break;
        case k::ping:
          if (open_) {
            ws::append_client_frame(queued_, ws::opcode::pong, r.payload, static_cast<std::uint32_t>(next_random()));
            if (!writing_) flush();
          }
          break;
        case k::close:
          fail("closed by server: " + std::to_string(r.code) + " " + std::string(r.payload));
          break;
        case k::fail:
          fail(std::string("websocket protocol error: ") + r.reason);
          break;
        default:
          break;
      }
    }
    pending_.keep(in, off, closing_);
  }

  // The connection ended on the server's side or failed: reported once.
  void fail(const std::string& why) {
    if (closing_) return;
    open_ = false;
    closing_ = true;
    error_code ec;
    sock_.close(ec);
    h_.on_close(why);
  }

  tcp::socket sock_;
  handlers h_;
  ws::reader reader_;
  std::unique_ptr<handshake> hs_;
  ws::partial_frame pending_;  // a partial frame, kept between reads
  std::string queued_;   // masked frames waiting for the write in flight
  std::string sending_;  // the write in flight
  bool writing_ = false;
  bool open_ = false;
  bool closing_ = false;
};

}  // namespace

std::shared_ptr<connection> connection::make(net::io_context& io, handlers h) {
  return std::make_shared<ws_connection>(io, std::move(h));
}

}  // namespace chorus::bench
