// The single-node fan-out: every delivery and membership change is posted to
// every shard, whose hub hands it to its own sessions. Called on the store's
// writer thread in commit order; posting keeps that order per shard.
#pragma once

#include "chorus/chat/delivery.hpp"
#include "chorus/gateway/shard.hpp"

#include <memory>
#include <vector>

namespace chorus::server {

class local_fanout final : public chat::fanout {
 public:
  explicit local_fanout(std::vector<std::unique_ptr<gateway::shard>>& shards) : shards_(shards) {}
  void publish(std::shared_ptr<const chat::delivery> d) override;
  void membership(std::shared_ptr<const chat::membership_change> c) override;

 private:
  std::vector<std::unique_ptr<gateway::shard>>& shards_;
};

}  // namespace chorus::server
