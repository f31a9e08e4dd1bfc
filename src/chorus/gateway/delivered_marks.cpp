#include "chorus/gateway/delivered_marks.hpp"

#include <algorithm>
#include <utility>

namespace chorus::gateway {

bool delivered_marks::add(std::string_view app, std::string_view user, std::string_view conv,
                          std::uint64_t session, std::uint64_t seq) {
  bool first = marks_.empty();
  // A session has one app and user: the session id and conversation name it.
  std::string key = std::to_string(session);
  key += '\n';
  key += conv;
  auto [it, fresh] = index_.try_emplace(std::move(key), marks_.size());
  if (fresh) {
    marks_.push_back({std::string(app), std::string(user), std::string(conv), session, seq});
  } else {
    auto& m = marks_[it->second];
    m.seq = std::max(m.seq, seq);
  }
  return first;
}

std::vector<delivered_marks::mark> delivered_marks::take() {
  index_.clear();
  return std::exchange(marks_, {});
}

}  // namespace chorus::gateway
