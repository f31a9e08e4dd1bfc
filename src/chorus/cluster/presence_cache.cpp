#include "chorus/cluster/presence_cache.hpp"

#include <algorithm>

namespace chorus::cluster {

namespace {
void build_key(std::string& out, std::string_view app, std::string_view user) {
  out.clear();
  out += std::to_string(app.size());
  out += ':';
  out += app;
  out += user;
}
}  // namespace

presence_cache::presence_cache(std::chrono::milliseconds bound, std::size_t max_entries)
    : bound_ms_(std::max<std::int64_t>(0, bound.count())), max_entries_(std::max<std::size_t>(1, max_entries)) {}

std::string presence_cache::key(std::string_view app, std::string_view user) {
  std::string k;
  build_key(k, app, user);
  return k;
}

void presence_cache::fence(std::int64_t applied_up_to_ms) { applied_ms_ = std::max(applied_ms_, applied_up_to_ms); }

void presence_cache::unfence() { applied_ms_ = never; }

bool presence_cache::fresh(std::int64_t as_of_ms) const {
  // A fence ahead of as_of_ms (a delivery queued before a pong) is fresh too.
  return enabled() && applied_ms_ != never && as_of_ms - applied_ms_ <= bound_ms_;
}

const std::vector<unsigned>* presence_cache::find(std::string_view app, std::string_view user, std::int64_t as_of_ms) {
  if (!fresh(as_of_ms)) return nullptr;
  build_key(scratch_, app, user);
  auto it = index_.find(scratch_);
  if (it == index_.end()) return nullptr;
  by_use_.splice(by_use_.end(), by_use_, it->second);  // iterators stay valid
  return &it->second->nodes;
}

void presence_cache::put(std::string_view app, std::string_view user, std::vector<unsigned> nodes) {
  if (!enabled()) return;
  build_key(scratch_, app, user);
  if (auto it = index_.find(scratch_); it != index_.end()) erase(it->second);
  while (index_.size() >= max_entries_) erase(by_use_.begin());
  by_use_.push_back(entry{scratch_, std::move(nodes)});
  auto last = std::prev(by_use_.end());
  index_.emplace(std::string_view(last->key), last);
}

void presence_cache::drop(std::string_view cache_key) {
  if (auto it = index_.find(cache_key); it != index_.end()) erase(it->second);
}

void presence_cache::clear() {
  index_.clear();
  by_use_.clear();
}

void presence_cache::erase(std::list<entry>::iterator it) {
  index_.erase(std::string_view(it->key));
  by_use_.erase(it);
}

}  // namespace chorus::cluster
