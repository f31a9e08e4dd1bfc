// The cluster's fan-out: every delivery goes to this node's shards at once
// (local), and to the other nodes that need it, found through the directory:
// a one-to-one message or event only to the nodes holding one of its two
// users (never to every node), a room's messages and every membership change
// to every live node (the first step: rooms are not yet tracked per node).
// Called on the store's writer thread (messages) and the shards (events);
// a route the presence cache knows is taken on that thread, others on the
// directory's (directory::nodes_of).
#pragma once

#include "chorus/chat/delivery.hpp"
#include "chorus/cluster/directory.hpp"
#include "chorus/cluster/peers.hpp"

namespace chorus::cluster {

class cluster_fanout final : public chat::fanout {
 public:
  cluster_fanout(chat::fanout& local, directory& dir, peers& p) : local_(local), dir_(dir), peers_(p) {}
  void publish(std::shared_ptr<const chat::delivery> d) override;
  void membership(std::shared_ptr<const chat::membership_change> c) override;
  // The directory's presence writes run on its thread, in order: this runs
  // `done` after those queued so far (the login's SADD and PUBLISH).
  bool after_presence_written(std::function<void()> done) override {
    dir_.after_pending(std::move(done));
    return true;
  }
  // The presence cache's bound: a route may miss a user's new node this long
  // after the change was published.
  std::chrono::milliseconds route_staleness() const override { return dir_.route_staleness(); }

 private:
  chat::fanout& local_;
  directory& dir_;
  peers& peers_;
};

}  // namespace chorus::cluster
