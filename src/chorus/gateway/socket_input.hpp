// Reading WebSocket bytes off a non-blocking socket, as the server's
// sessions (ws_session) and chorus-bench's client connections both do: wait
// for readability, read what the socket holds into one buffer per thread,
// hand out every whole frame, and keep bytes of one's own only for a frame
// not yet whole. No per-connection read buffer lives while a connection
// idles.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace chorus::gateway::ws {

// Where every connection of a thread reads into.
inline std::span<char> read_buffer() {
  thread_local std::array<char, 64 * 1024> buf;
  return buf;
}

enum class read_end {
  waiting,    // the socket is empty: wait for readability again
  turn_over,  // `turn_bytes` read: come back by post, the socket may hold more
  stopped,    // `take` said stop
  failed,     // EOF or an error, in `ec`
};

// Reads what `sock` (non-blocking, just reported readable) holds into
// read_buffer(), handing each read to `take(data, size)`, which returns
// false to stop. A short read ends it: it emptied the socket, and whatever
// arrives later is a new edge for the wait (epoll reports every arrival),
// so no read to see EAGAIN. Past `turn_bytes` it ends too, so that other
// connections get their turn; an edge-triggered wait would not fire again
// for what is left, hence the post.
template <class Socket, class Take>
read_end read_available(Socket& sock, std::size_t turn_bytes, boost::system::error_code& ec, Take&& take) {
  namespace net = boost::asio;
  auto buf = read_buffer();
  std::size_t total = 0;
  for (;;) {
    std::size_t n = sock.read_some(net::buffer(buf.data(), buf.size()), ec);
    if (ec == net::error::would_block || ec == net::error::try_again) {
      ec = {};
      return read_end::waiting;
    }
    if (ec == net::error::interrupted) continue;
    if (ec) return read_end::failed;
    total += n;
    if (!take(buf.data(), n)) return read_end::stopped;
    if (n < buf.size()) return read_end::waiting;
    if (total >= turn_bytes) return read_end::turn_over;
  }
}

// The start of a frame not yet whole, kept between reads.
class partial_frame {
 public:
  // What to parse: `size` new bytes at `data`, after any kept ones.
  std::span<char> join(char* data, std::size_t size) {
    if (!kept_) return {data, size};
    kept_->append(data, size);
    return {kept_->data(), kept_->size()};
  }
  // After parsing `in` (from join) up to `off`: keeps the rest, or nothing
  // if `drop` (the connection reads no more frames).
  void keep(std::span<char> in, std::size_t off, bool drop) {
    if (drop || off >= in.size())
      kept_.reset();  // nothing kept while idle
    else if (!kept_)
      kept_ = std::make_unique<std::string>(in.data() + off, in.size() - off);
    else
      kept_->erase(0, off);
  }
  // Bytes that came before the first read (with the upgrade); parsed by a
  // join of nothing new.
  void preset(std::string bytes) {
    if (!bytes.empty()) kept_ = std::make_unique<std::string>(std::move(bytes));
  }
  bool empty() const noexcept { return !kept_; }
  void clear() noexcept { kept_.reset(); }

 private:
  std::unique_ptr<std::string> kept_;
};

}  // namespace chorus::gateway::ws
