// The WebSocket transport of a session (Boost.Beast over a plain TCP socket):
// the upgrade handshake, the read loop and the single outstanding write. All
// protocol logic lives in session; this file is one of the few that
// instantiate Beast's WebSocket templates, to keep builds fast.
#pragma once

#include "chorus/gateway/session.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace chorus::gateway {

class ws_session final : public session {
 public:
  ws_session(context& ctx, shard& sh, boost::asio::ip::tcp::socket&& socket);
  // Completes the upgrade the HTTP session read.
  void run(boost::beast::http::request<boost::beast::http::string_body> req);

 private:
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void write_frame(const std::string& text) override;
  void close_transport(unsigned short code, std::string reason) override;
  void abort_transport() override;
  std::shared_ptr<ws_session> self() { return std::static_pointer_cast<ws_session>(shared_from_this()); }

  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace chorus::gateway
