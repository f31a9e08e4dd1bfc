#include "chorus/gateway/http_session.hpp"

#include "chorus/gateway/origin.hpp"
#include "chorus/gateway/routes.hpp"
#include "chorus/gateway/shard.hpp"
#include "chorus/gateway/ws_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/core/buffers_to_string.hpp>

namespace chorus::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {
constexpr auto read_timeout = std::chrono::seconds(30);
constexpr std::uint32_t max_header_bytes = 8 * 1024;
constexpr std::uint64_t max_body_bytes = 64 * 1024;
}  // namespace

http_session::http_session(context& ctx, shard& sh, net::ip::tcp::socket&& socket)
    : ctx_(ctx), shard_(sh), stream_(std::move(socket)) {}

void http_session::run() { do_read(); }

void http_session::do_read() {
  parser_.emplace();
  parser_->header_limit(max_header_bytes);
  parser_->body_limit(max_body_bytes);
  stream_.expires_after(read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void http_session::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted) {
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    return;
  }
  if (ec) {
    // Bad HTTP (oversize header, garbage): answer 400 once, then close.
    http_reply r;
    r.status = 400;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "bad request: " + ec.message() + "\n";
    keep_alive_ = false;
    send(std::move(r));
    return;
  }
  auto& req = parser_->get();
  if (beast::websocket::is_upgrade(req)) return upgrade();
  keep_alive_ = req.keep_alive();
  version_ = req.version();
  head_ = req.method() == http::verb::head;
  http_query q{std::string(req.method_string()), std::string(req.target())};
  handle_http(ctx_, q, [self = shared_from_this()](http_reply r) mutable {
    // Routes may answer from a store thread: come back to ours.
    auto ex = self->stream_.get_executor();
    net::dispatch(ex, [self = std::move(self), r = std::move(r)]() mutable { self->send(std::move(r)); });
  });
}

void http_session::upgrade() {
  auto req = parser_->release();
  auto reject = [&](http::status st, std::string why, decltype(http_reply::headers) headers = {}) {
    http_reply r;
    r.status = static_cast<unsigned>(st);
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(why);
    r.headers = std::move(headers);
    keep_alive_ = false;
    send(std::move(r));
  };
  if (req.target() != "/ws" && !req.target().starts_with("/ws?"))
    return reject(http::status::not_found, "WebSocket endpoint is /ws\n");
  if (!origin_allowed(req[http::field::origin], req[http::field::host], ctx_.cfg.allowed_origins))
    return reject(http::status::forbidden, "Origin not allowed\n");
  if (req[http::field::sec_websocket_version] != "13")  // RFC 6455 4.4: say which version we speak
    return reject(http::status::upgrade_required, "WebSocket version 13 required\n",
                  {{"Sec-WebSocket-Version", "13"}});
  auto accept = ws::accept_key(req[http::field::sec_websocket_key]);
  if (!accept) return reject(http::status::bad_request, "missing or malformed Sec-WebSocket-Key\n");
  // Bytes the client sent after its request (frames it did not wait to send).
  auto early = beast::buffers_to_string(buffer_.data());
  stream_.expires_never();
  std::make_shared<ws_session>(ctx_, shard_, stream_.release_socket())->run(*accept, std::move(early));
}

void http_session::send(http_reply r) {
  auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version_);
  res->set(http::field::server, "chorus");
  res->set(http::field::content_type, r.content_type);
  res->set("X-Content-Type-Options", "nosniff");
  for (auto& [name, value] : r.headers) res->set(name, value);
  if (r.no_store) res->set(http::field::cache_control, "no-store");
  res->keep_alive(keep_alive_);
  res->body() = std::move(r.body);
  res->prepare_payload();
  if (head_) res->body().clear();
  stream_.expires_after(read_timeout);
  http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
    self->on_write(res->keep_alive(), ec);
  });
}

void http_session::on_write(bool keep_alive, beast::error_code ec) {
  if (ec) return;
  if (!keep_alive) {
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    return;
  }
  do_read();
}

}  // namespace chorus::gateway
