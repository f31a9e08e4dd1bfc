#include "chorus/server/local_fanout.hpp"

#include <boost/asio/post.hpp>

namespace chorus::server {

local_fanout::local_fanout(std::vector<std::unique_ptr<gateway::shard>>& shards) : shards_(shards) {
  for (std::size_t i = 0; i < shards_.size(); ++i) boxes_.push_back(std::make_unique<mailbox>());
}

void local_fanout::publish(std::shared_ptr<const chat::delivery> d) {
  for (std::size_t i = 0; i < shards_.size(); ++i) push(i, d);
}

void local_fanout::membership(std::shared_ptr<const chat::membership_change> c) {
  for (std::size_t i = 0; i < shards_.size(); ++i) push(i, c);
}

void local_fanout::push(std::size_t i, item it) {
  auto& box = *boxes_[i];
  bool post = false;
  {
    std::lock_guard lock(box.mu);
    box.items.push_back(std::move(it));
    post = !box.drain_posted;
    box.drain_posted = true;
  }
  if (post) boost::asio::post(shards_[i]->io(), [this, i] { drain(i); });
}

void local_fanout::drain(std::size_t i) {
  auto& box = *boxes_[i];
  {
    std::lock_guard lock(box.mu);
    box.drained.swap(box.items);
    box.drain_posted = false;
  }
  auto& hub = shards_[i]->hub();
  for (auto& it : box.drained) {
    if (auto* d = std::get_if<std::shared_ptr<const chat::delivery>>(&it)) hub.deliver(*d);
    else hub.apply(*std::get<std::shared_ptr<const chat::membership_change>>(it));
  }
  box.drained.clear();
  if (box.drained.capacity() > 1024) std::vector<item>().swap(box.drained);  // a rare burst's size is not kept
}

}  // namespace chorus::server
