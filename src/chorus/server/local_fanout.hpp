// The single-node fan-out: every delivery and membership change goes to
// every shard, whose hub hands it to its own sessions. Called on the store's
// writer thread in commit order (and by peers and shards for events), so each
// shard has a mailbox: producers append under a lock, and only the append
// that finds it empty posts a drain to the shard. A burst of commits thus
// costs a shard one wake-up, not one per delivery, and order is kept.
#pragma once

#include "chorus/chat/delivery.hpp"
#include "chorus/gateway/shard.hpp"

#include <memory>
#include <mutex>
#include <variant>
#include <vector>

namespace chorus::server {

class local_fanout final : public chat::fanout {
 public:
  explicit local_fanout(std::vector<std::unique_ptr<gateway::shard>>& shards);
  void publish(std::shared_ptr<const chat::delivery> d) override;
  void membership(std::shared_ptr<const chat::membership_change> c) override;

 private:
  using item = std::variant<std::shared_ptr<const chat::delivery>, std::shared_ptr<const chat::membership_change>>;
  struct mailbox {
    std::mutex mu;
    std::vector<item> items;
    // What the last drain handled, kept empty with its capacity and swapped
    // in, so that neither vector is grown again at every burst. The shard's
    // thread alone touches it.
    std::vector<item> drained;
    bool drain_posted = false;
  };
  void push(std::size_t shard, item it);
  void drain(std::size_t shard);

  std::vector<std::unique_ptr<gateway::shard>>& shards_;
  std::vector<std::unique_ptr<mailbox>> boxes_;
};

}  // namespace chorus::server
