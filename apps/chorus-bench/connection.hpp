// One client WebSocket connection to chorusd: TCP connect (optionally from a
// chosen loopback source address), the upgrade, a single-writer send queue
// and a read loop handing each text frame to a callback. Beast (the HTTP of the
// upgrade) lives in connection.cpp only. Used only from the thread running its io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace chorus::bench {

struct target {
  boost::asio::ip::tcp::endpoint server;
  std::optional<boost::asio::ip::address> source;  // bind here before connecting
  std::string host;                                // the Host header
};

class connection {
 public:
  struct handlers {
    std::function<void(std::string_view)> on_frame;
    std::function<void(const std::string& why)> on_close;  // not called after close()
  };

  static std::shared_ptr<connection> make(boost::asio::io_context& io, handlers h);
  virtual ~connection() = default;

  // `done("")` once the upgrade is complete, else `done(reason)`.
  virtual void connect(const target& t, std::function<void(const std::string&)> done) = 0;
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  // When the TCP connection and the upgrade completed (steady clock, µs; 0
  // until then): the handshake's parts, for the tool's histograms.
  std::int64_t tcp_done_us = 0, upgrade_done_us = 0;
  // Drops the connection at once (no close handshake).
  virtual void close() = 0;
};

}  // namespace chorus::bench
