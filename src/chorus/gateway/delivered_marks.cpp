#include "chorus/gateway/delivered_marks.hpp"

#include <boost/container_hash/hash.hpp>

#include <algorithm>
#include <utility>

namespace chorus::gateway {

std::uint64_t delivered_marks::default_hash(std::uint64_t session, std::string_view conv) {
  std::size_t h = boost::hash_value(session);
  boost::hash_combine(h, boost::hash_range(conv.begin(), conv.end()));
  return h;
}

bool delivered_marks::add(std::string_view app, std::string_view user, std::string_view conv,
                          std::uint64_t session, std::uint64_t seq) {
  bool first = marks_.empty();
  // A session has one app and user: the session id and conversation name it.
  auto h = hash_(session, conv);
  auto [it, fresh] = index_.try_emplace(h, 0);
  for (auto i = it->second; i; i = marks_[i - 1].next) {
    auto& m = marks_[i - 1];
    if (m.session == session && m.conv == conv) {
      m.seq = std::max(m.seq, seq);
      return first;
    }
  }
  marks_.push_back({std::string(app), std::string(user), std::string(conv), session, seq, it->second});
  it->second = static_cast<std::uint32_t>(marks_.size());
  return first;
}

const std::vector<delivered_marks::mark>& delivered_marks::take() {
  // A rare burst's size is not kept.
  constexpr std::size_t kept = 1024;
  if (index_.size() > kept) index_ = {};
  else index_.clear();
  taken_.clear();
  if (taken_.capacity() > kept) std::vector<mark>().swap(taken_);
  std::swap(marks_, taken_);
  return taken_;
}

}  // namespace chorus::gateway
