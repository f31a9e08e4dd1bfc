#include "chorus/gateway/listener.hpp"

#include "chorus/core/clock.hpp"
#include "chorus/gateway/http_session.hpp"
#include "chorus/gateway/shard.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <stdexcept>
#include <string>

namespace chorus::gateway {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
using reuse_port = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
constexpr auto accept_backoff = std::chrono::milliseconds(100);
}  // namespace

void listener::claim(const tcp::endpoint& at) {
  if (at.port() == 0) return;  // the kernel picks a free one
  // Another process's SO_REUSEPORT acceptors would let ours join them, and
  // the kernel would split the clients between two unrelated servers. A
  // socket without SO_REUSEPORT cannot bind beside a listening one: try.
  net::io_context io;
  tcp::acceptor probe(io);
  boost::system::error_code ec;
  probe.open(at.protocol(), ec);
  if (!ec) probe.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) probe.bind(at, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + at.address().to_string() + ":" + std::to_string(at.port()) +
                             ": " + ec.message() + (ec == net::error::address_in_use ? " (is another server running?)" : ""));
}

listener::listener(context& ctx, shard& sh, const tcp::endpoint& at)
    : ctx_(ctx), shard_(sh), acceptor_(sh.io()), backoff_(sh.io()) {
  acceptor_.open(at.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.set_option(reuse_port(true));
  acceptor_.bind(at);
  acceptor_.listen(net::socket_base::max_listen_connections);
}

tcp::endpoint listener::local_endpoint() const { return acceptor_.local_endpoint(); }

void listener::run() {
  net::post(shard_.io(), [self = shared_from_this()] { self->do_accept(); });
}

void listener::stop() {
  net::post(shard_.io(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    self->backoff_.cancel();
  });
}

void listener::do_accept() {
  acceptor_.async_accept(shard_.io(), [self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
    self->on_accept(ec, std::move(s));
  });
}

void listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    ctx_.metrics.accept_errors.Increment();
    auto now = core::steady_ms();
    if (now - last_warning_ms_ > 5000) {
      last_warning_ms_ = now;
      spdlog::warn("accept failed: {} ({} sessions on shard {}); backing off", ec.message(),
                   shard_.session_count(), shard_.index());
    }
    // Out of descriptors (EMFILE/ENFILE) or memory: wait for some to be freed
    // instead of spinning on an accept that keeps failing.
    backoff_.expires_after(accept_backoff);
    backoff_.async_wait([self = shared_from_this()](boost::system::error_code e) {
      if (!e) self->do_accept();
    });
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::make_shared<http_session>(ctx_, shard_, std::move(socket))->run();
  do_accept();
}

}  // namespace chorus::gateway
