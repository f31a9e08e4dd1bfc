#include "chorus/server/local_fanout.hpp"

#include <boost/asio/post.hpp>

namespace chorus::server {

void local_fanout::publish(std::shared_ptr<const chat::delivery> d) {
  for (auto& s : shards_) {
    auto* sh = s.get();
    boost::asio::post(sh->io(), [sh, d] { sh->hub().deliver(d); });
  }
}

void local_fanout::membership(std::shared_ptr<const chat::membership_change> c) {
  for (auto& s : shards_) {
    auto* sh = s.get();
    boost::asio::post(sh->io(), [sh, c] { sh->hub().apply(*c); });
  }
}

}  // namespace chorus::server
