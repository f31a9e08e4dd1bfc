// The WebSocket transport of a session over a plain TCP socket: the 101
// answer to the upgrade (which http_session read and checked), a read side
// that keeps no buffer while idle, and a write side that sends every queued
// frame in one gather write. The framing rules live in ws_codec (pure, unit
// tested); why they are not Beast's websocket::stream is said there. All
// protocol logic lives in session. Everything runs on the session's shard.
#pragma once

#include "chorus/gateway/session.hpp"
#include "chorus/gateway/socket_input.hpp"
#include "chorus/gateway/ws_codec.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <memory>
#include <string>
#include <vector>

namespace chorus::gateway {

class ws_session final : public session {
 public:
  ws_session(context& ctx, shard& sh, boost::asio::ip::tcp::socket&& socket);
  // Answers the upgrade with `accept` (Sec-WebSocket-Accept); `early` holds
  // bytes the client sent after its request, already read.
  void run(const std::string& accept, std::string early);

 private:
  struct write_batch;
  // Gives a finished batch back to its thread's few spare ones (a batch is
  // ~1.5 KiB, past malloc's per-thread cache: a fresh one per write was a
  // tenth of the shards' allocator time at 10,000 clients).
  struct batch_recycler {
    void operator()(write_batch* b) const noexcept;
  };
  using batch_ptr = std::unique_ptr<write_batch, batch_recycler>;
  static batch_ptr take_batch();
  // The calling thread's spare batches: a shard's, or whichever thread
  // destroys a pending write's handler at shutdown.
  static std::vector<std::unique_ptr<write_batch>>& spares();

  void do_read();
  void on_readable(boost::system::error_code ec);
  // Parses what arrived; false once the transport stops reading frames.
  void consume(char* data, std::size_t size);
  void wake_writer() override;
  void flush();
  void on_flushed(boost::system::error_code ec, const write_batch& b);
  void send_close(std::uint16_t code, std::string_view reason);
  void add_control(std::string frame);
  void close_transport(unsigned short code, std::string reason) override;
  void abort_transport() override;
  void finish();  // the connection is over: close the socket, end the session
  std::shared_ptr<ws_session> self() { return std::static_pointer_cast<ws_session>(shared_from_this()); }

  boost::asio::ip::tcp::socket sock_;
  ws::reader reader_;
  // Allocated only while in use, so that an idle connection carries none:
  ws::partial_frame pending_;  // the start of a frame not yet whole
  std::unique_ptr<std::string> control_;  // control frames (the 101 answer, close) for the next write
  std::unique_ptr<std::string> pong_;     // the answer to the latest ping, if not yet sent
  bool open_ = false;         // the 101 answer was written
  bool writing_ = false;      // a write is outstanding
  bool flush_posted_ = false; // a flush is scheduled on the shard
  bool close_sent_ = false;     // our close frame is queued (no data frames after it)
  bool close_written_ = false;  // ... and written
  bool close_received_ = false; // the peer's close frame arrived
  bool draining_ = false;       // reading only to discard, until EOF
  bool finished_ = false;
};

}  // namespace chorus::gateway
