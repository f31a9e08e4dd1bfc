#include "chorus/gateway/ws_session.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/container/static_vector.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <span>
#include <vector>

namespace chorus::gateway {

namespace net = boost::asio;
using boost::system::error_code;

namespace {
// Frames per write: each is a header and a payload buffer, and Linux takes
// 1,024 buffers per sendmsg (Asio passes at most 64 per call).
constexpr std::size_t batch_frames = 31;
constexpr std::size_t batch_bytes = 256 * 1024;
// Bytes read in one go before giving other connections a turn.
constexpr std::size_t read_turn_bytes = 256 * 1024;
// Spare write batches kept per thread: as many as a shard has writes in
// flight at once in a busy moment; past that they are freed.
constexpr std::size_t spare_batches = 64;
}  // namespace

struct ws_session::write_batch {
  std::string control;
  std::size_t frames = 0;
  bool has_close = false;
  std::array<std::array<std::uint8_t, ws::max_header>, batch_frames> heads;
  boost::container::static_vector<net::const_buffer, 2 * batch_frames + 2> bufs;
};

std::vector<std::unique_ptr<ws_session::write_batch>>& ws_session::spares() {
  thread_local std::vector<std::unique_ptr<write_batch>> list = [] {
    std::vector<std::unique_ptr<write_batch>> v;
    v.reserve(spare_batches);
    return v;
  }();
  return list;
}

ws_session::batch_ptr ws_session::take_batch() {
  auto& spare = spares();
  if (spare.empty()) return batch_ptr(new write_batch);
  batch_ptr b(spare.back().release());
  spare.pop_back();
  return b;
}

void ws_session::batch_recycler::operator()(write_batch* b) const noexcept {
  std::unique_ptr<write_batch> owned(b);
  auto& spare = spares();
  if (spare.size() == spare_batches) return;  // freed
  b->control.clear();
  b->frames = 0;
  b->has_close = false;
  b->bufs.clear();
  spare.push_back(std::move(owned));  // within the capacity reserved: no allocation
}

ws_session::ws_session(context& ctx, shard& sh, net::ip::tcp::socket&& socket)
    : session(ctx, sh), sock_(std::move(socket)), reader_(static_cast<std::uint32_t>(ctx.cfg.max_frame_bytes)) {}

void ws_session::run(const std::string& accept, std::string early) {
  error_code ec;
  sock_.non_blocking(true, ec);
  if (ec) return;
  add_control("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Server: chorus\r\nSec-WebSocket-Accept: " +
              accept + "\r\n\r\n");
  pending_.preset(std::move(early));
  flush();
}

namespace {
// Plain operator new at the exact size. Asio otherwise takes an operation's
// memory from a per-thread cache of recycled blocks and uses a cached block
// however much larger than needed: a read wait made right after a write
// completed sat in that write's block (up to ~1 KiB, 64 buffers) for as
// long as the connection idled, ~110 bytes per idle connection on average
// once the login's answer came after its first sync read.
template <class T>
struct exact_allocator {
  using value_type = T;
  exact_allocator() noexcept = default;
  template <class U>
  exact_allocator(const exact_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }
  template <class U>
  bool operator==(const exact_allocator<U>&) const noexcept { return true; }
};
}  // namespace

void ws_session::do_read() {
  // The wait pending while the connection idles: its own exact-size block.
  sock_.async_wait(net::socket_base::wait_read,
                   net::bind_allocator(exact_allocator<void>(), [self = self()](error_code ec) { self->on_readable(ec); }));
}

void ws_session::on_readable(error_code ec) {
  if (finished_) return;
  if (ec) return finish();
  auto end = ws::read_available(sock_, read_turn_bytes, ec, [this](char* data, std::size_t n) {
    if (!draining_) consume(data, n);
    return !finished_;
  });
  switch (end) {
    case ws::read_end::waiting:
      return do_read();
    case ws::read_end::turn_over:
      net::post(sock_.get_executor(), [self = self()] { self->on_readable({}); });
      return;
    case ws::read_end::stopped:
      return;
    case ws::read_end::failed:
      return finish();  // EOF or reset
  }
}

void ws_session::consume(char* data, std::size_t size) {
  auto in = pending_.join(data, size);
  std::size_t off = 0;
  while (!draining_ && !finished_) {
    auto r = reader_.next(in.subspan(off));
    off += r.consumed;
    using k = ws::reader::kind;
    if (r.what == k::need_more) break;
    switch (r.what) {
      case k::message:
        on_frame(r.payload, r.binary);
        break;
      case k::ping:
        // Only the latest ping is answered (RFC 6455 5.5.3), so a flood of
        // pings cannot grow what waits to be written.
        pong_ = std::make_unique<std::string>(ws::control_frame(ws::opcode::pong, r.payload));
        wake_writer();
        break;
      case k::close:
        close_received_ = true;
        draining_ = true;
        if (close_written_) return finish();
        // Echo the peer's code (none if it gave none); the socket closes once
        // the echo is written.
        send_close(r.code, {});
        break;
      case k::fail:
        // Fail the connection (RFC 6455 7.1.7): our close frame, then the
        // rest of what the client sends is discarded.
        spdlog::debug("session {}: websocket protocol error: {}", session_id(), r.reason);
        draining_ = true;
        if (open_ && !close_sent_) close(r.code, r.reason);
        break;
      default:
        break;
    }
  }
  pending_.keep(in, off, draining_);
}

void ws_session::wake_writer() {
  if (flush_posted_ || writing_ || finished_) return;
  // Written at the end of this turn of the shard, so that every frame queued
  // meanwhile (a fan-out, a sync page) goes out in the same system call.
  flush_posted_ = true;
  net::post(sock_.get_executor(), [self = self()] {
    self->flush_posted_ = false;
    self->flush();
  });
}

void ws_session::flush() {
  if (writing_ || finished_) return;
  auto b = take_batch();
  if (control_) {
    b->control = std::move(*control_);
    control_.reset();
    b->has_close = close_sent_;
  }
  if (pong_ && open_ && !close_sent_) {
    b->control += *pong_;
    pong_.reset();
  }
  if (!b->control.empty()) b->bufs.push_back(net::buffer(b->control));
  if (open_ && !close_sent_) {
    std::array<std::string_view, batch_frames> views;
    b->frames = frames_to_write(views.data(), batch_frames, batch_bytes);
    for (std::size_t i = 0; i < b->frames; ++i) {
      auto h = ws::frame_header(b->heads[i].data(), ws::opcode::text, views[i].size());
      b->bufs.push_back(net::buffer(b->heads[i].data(), h));
      b->bufs.push_back(net::buffer(views[i].data(), views[i].size()));
    }
  }
  if (b->bufs.empty()) return;
  writing_ = true;
  auto& batch = *b;
  net::async_write(sock_, std::span<const net::const_buffer>(batch.bufs.data(), batch.bufs.size()),
                   [self = self(), b = std::move(b)](error_code ec, std::size_t) { self->on_flushed(ec, *b); });
}

void ws_session::on_flushed(error_code ec, const write_batch& b) {
  writing_ = false;
  if (ec) return finish();
  if (!open_) {
    // The 101 answer is out: the session starts, then reads what came early.
    open_ = true;
    on_open();
    if (!pending_.empty()) consume(nullptr, 0);
    if (finished_) return;
    do_read();
  }
  if (b.has_close) {
    close_written_ = true;
    if (close_received_) return finish();
    // Nothing more to send; the peer answers with its close frame or EOF.
    error_code ignored;
    sock_.shutdown(net::socket_base::shutdown_send, ignored);
  }
  if (b.frames) on_written(b.frames);
  flush();
}

void ws_session::send_close(std::uint16_t code, std::string_view reason) {
  if (close_sent_) return;
  close_sent_ = true;
  add_control(ws::close_frame(code, reason));
}

void ws_session::add_control(std::string frame) {
  if (control_) control_->append(frame);
  else control_ = std::make_unique<std::string>(std::move(frame));
  wake_writer();
}

void ws_session::close_transport(unsigned short code, std::string reason) { send_close(code, reason); }

void ws_session::abort_transport() {
  // The pending read completes with an error and finishes the session.
  error_code ec;
  sock_.shutdown(net::socket_base::shutdown_both, ec);
  sock_.close(ec);
}

void ws_session::finish() {
  if (finished_) return;
  finished_ = true;
  error_code ec;
  sock_.close(ec);
  pending_.clear();
  if (open_) on_gone();
}

}  // namespace chorus::gateway
