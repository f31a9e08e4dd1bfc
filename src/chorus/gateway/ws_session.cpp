#include "chorus/gateway/ws_session.hpp"

#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

namespace chorus::gateway {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

ws_session::ws_session(context& ctx, shard& sh, net::ip::tcp::socket&& socket)
    : session(ctx, sh), ws_(std::move(socket)) {}

void ws_session::run(beast::http::request<beast::http::string_body> req) {
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(30);
  t.idle_timeout = websocket::stream_base::none();  // the shard's sweep handles idleness
  t.keep_alive_pings = false;
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "chorus"); }));
  ws_.read_message_max(ctx_.cfg.max_frame_bytes);
  ws_.auto_fragment(false);
  ws_.async_accept(req, [self = self()](beast::error_code ec) { self->on_accept(ec); });
}

void ws_session::on_accept(beast::error_code ec) {
  if (ec) {
    spdlog::debug("websocket handshake failed: {}", ec.message());
    return;
  }
  on_open();
  do_read();
}

void ws_session::do_read() {
  ws_.async_read(buffer_, [self = self()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void ws_session::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    // Closed by the peer, by us, or failed (too big: 1009, bad UTF-8: 1007,
    // both sent by Beast before it reports the error).
    if (ec != websocket::error::closed && ec != net::error::operation_aborted && ec != net::error::eof)
      spdlog::debug("session {}: read ended: {}", session_id(), ec.message());
    on_gone();
    return;
  }
  auto data = buffer_.cdata();
  on_frame(std::string_view(static_cast<const char*>(data.data()), data.size()), !ws_.got_text());
  buffer_.consume(buffer_.size());
  do_read();
}

void ws_session::write_frame(const std::string& text) {
  ws_.text(true);
  ws_.async_write(net::buffer(text), [self = self()](beast::error_code ec, std::size_t) { self->on_written(!ec); });
}

void ws_session::close_transport(unsigned short code, std::string reason) {
  ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason), [self = self()](beast::error_code) {
    // The read loop sees the peer's close (or the failure) and ends the session.
  });
}

void ws_session::abort_transport() {
  beast::error_code ec;
  beast::get_lowest_layer(ws_).shutdown(net::ip::tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(ws_).close(ec);
}

}  // namespace chorus::gateway
