// Peer delivery over gRPC. `peers` keeps one link per live node (updated
// from the directory); a link has a queue and a thread that writes it in
// batches on one long-lived client stream (Peer.Stream), so a peer sees
// deliveries in the order they were committed, and a batch costs a message
// on an open HTTP/2 stream rather than a call. A write that fails on a
// stream that had worked is retried once on a new stream (the peer may have
// restarted); failing again, the batch is dropped and the next batch opens
// another stream: the store has every message and the recipients' sync
// recovers it. `peer_server` reads every
// stream on one thread of its own (gRPC's asynchronous API) and posts the
// batches to the local shards through `local`, never locking the hot path.
#pragma once

#include "chorus/chat/delivery.hpp"
#include "chorus/chat/metrics.hpp"
#include "chorus/cluster/directory.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace chorus::cluster {

class peer_link;

class peers {
 public:
  peers(unsigned self, chat::metrics& m);
  ~peers();
  void update(const std::vector<node_info>& live);  // from the directory's thread
  void send(unsigned node, std::shared_ptr<const chat::delivery> d);
  void send(unsigned node, std::shared_ptr<const chat::membership_change> c);

 private:
  std::shared_ptr<peer_link> link_to(unsigned node);  // null if the node is not live

  unsigned self_;
  chat::metrics& metrics_;
  std::mutex mu_;
  std::map<unsigned, std::shared_ptr<peer_link>> links_;
};

class peer_server {
 public:
  // Listens on `address` (host:port; port 0 picks one); throws on failure.
  peer_server(const std::string& address, chat::fanout& local, chat::metrics& m);
  ~peer_server();
  int port() const noexcept { return port_; }

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  int port_ = 0;
};

}  // namespace chorus::cluster
