#include "chorus/cluster/cluster_fanout.hpp"

namespace chorus::cluster {

void cluster_fanout::publish(std::shared_ptr<const chat::delivery> d) {
  local_.publish(d);
  auto send = [this, d](const std::vector<unsigned>& nodes) {
    for (auto n : nodes) peers_.send(n, d);
  };
  if (!d->room.empty()) return dir_.all_nodes(std::move(send));
  std::vector<std::string> users{d->to};
  if (d->from != d->to) users.push_back(d->from);
  dir_.nodes_of(d->app, std::move(users), std::move(send));
}

void cluster_fanout::membership(std::shared_ptr<const chat::membership_change> c) {
  local_.membership(c);
  dir_.all_nodes([this, c](const std::vector<unsigned>& nodes) {
    for (auto n : nodes) peers_.send(n, c);
  });
}

}  // namespace chorus::cluster
