// The Beast WebSocket client behind `connection` (the only Beast translation unit of the bench).
#include "connection.hpp"

#include "chorus/core/clock.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/container/devector.hpp>

#include <netinet/in.h>

namespace chorus::bench {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Lets the kernel pick the source port at connect time, by destination, so
// one source address can reach ~28,000 connections to one port.
using bind_no_port = net::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;

class ws_connection final : public connection, public std::enable_shared_from_this<ws_connection> {
 public:
  ws_connection(net::io_context& io, handlers h) : ws_(io), h_(std::move(h)) {
    // A client masks what it sends, through a buffer Beast allocates on the
    // first write: 4 KiB by default, a fresh page to fault in and zero per
    // connection (13% of the tool's CPU with 100,000 connections). The
    // tool's frames are a few hundred bytes; a longer one is masked in
    // pieces.
    ws_.write_buffer_bytes(512);
  }

  void connect(const target& t, std::function<void(const std::string&)> done) override {
    auto& sock = ws_.next_layer();
    beast::error_code ec;
    sock.open(tcp::v4(), ec);
    if (!ec && t.source) {
      sock.set_option(bind_no_port(true), ec);
      if (!ec) sock.bind(tcp::endpoint(*t.source, 0), ec);
    }
    if (ec) {
      net::post(ws_.get_executor(), [done, m = "socket: " + ec.message()] { done(m); });
      return;
    }
    sock.async_connect(t.server, [self = shared_from_this(), host = t.host, done](beast::error_code ec2) {
      if (ec2) return done("connect: " + ec2.message());
      self->tcp_done_us = core::steady_us();
      beast::error_code ignored;
      self->ws_.next_layer().set_option(tcp::no_delay(true), ignored);
      self->ws_.async_handshake(host, "/ws", [self, done](beast::error_code ec3) {
        if (ec3) return done("upgrade: " + ec3.message());
        self->upgrade_done_us = core::steady_us();
        self->ws_.text(true);
        self->open_ = true;
        done("");
        self->do_read();
      });
    });
  }

  void send(std::shared_ptr<const std::string> frame) override {
    if (!open_) return;
    queue_.push_back(std::move(frame));
    if (!writing_) do_write();
  }

  // An abortive close (RST): the tool would otherwise keep every closed
  // connection in TIME_WAIT for a minute, and the next run's connects,
  // from the same source address to the same port, would pay for a
  // kernel port search among tens of thousands of them (it showed as a
  // handshake tail that grew run after run).
  void close() override {
    closing_ = true;
    open_ = false;
    beast::error_code ec;
    ws_.next_layer().set_option(net::socket_base::linger(true, 0), ec);
    ws_.next_layer().close(ec);
  }

 private:
  void do_write() {
    writing_ = true;
    ws_.async_write(net::buffer(*queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    queue_.pop_front();
    if (ec || !open_) {
      writing_ = false;
      queue_.clear();
      return;  // the read loop reports the failure
    }
    if (queue_.empty())
      writing_ = false;
    else
      do_write();
  }

  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      open_ = false;
      if (closing_) return;
      std::string why = ec.message();
      if (ec == websocket::error::closed) {
        const auto& r = ws_.reason();
        why = "closed by server: " + std::to_string(r.code) + " " + std::string(r.reason.data(), r.reason.size());
      }
      closing_ = true;
      h_.on_close(why);
      return;
    }
    auto d = buffer_.cdata();
    h_.on_frame(std::string_view(static_cast<const char*>(d.data()), d.size()));
    buffer_.consume(buffer_.size());
    if (!closing_) do_read();
  }

  websocket::stream<tcp::socket> ws_;
  handlers h_;
  beast::flat_buffer buffer_;
  // Not std::deque: libstdc++'s allocates 576 bytes per connection before its first use.
  boost::container::devector<std::shared_ptr<const std::string>> queue_;
  bool writing_ = false;
  bool open_ = false;
  bool closing_ = false;
};

}  // namespace

std::shared_ptr<connection> connection::make(net::io_context& io, handlers h) {
  return std::make_shared<ws_connection>(io, std::move(h));
}

}  // namespace chorus::bench
