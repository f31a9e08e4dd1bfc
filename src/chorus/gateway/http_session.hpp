// One HTTP connection: reads requests (bounded, with a timeout), answers them
// through the routes, and hands a WebSocket upgrade on GET /ws (after the
// Origin check) to a ws_session. Lives on the shard that accepted it.
#pragma once

#include "chorus/gateway/context.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>

namespace chorus::gateway {

class shard;
struct http_reply;

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(context& ctx, shard& sh, boost::asio::ip::tcp::socket&& socket);
  void run();

 private:
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void upgrade();
  void send(http_reply r);
  void on_write(bool keep_alive, boost::beast::error_code ec);

  context& ctx_;
  shard& shard_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  bool head_ = false;
};

}  // namespace chorus::gateway
