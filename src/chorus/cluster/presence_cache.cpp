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

presence_cache::presence_cache(std::chrono::milliseconds ttl, std::size_t max_entries)
    : ttl_ms_(std::max<std::int64_t>(0, ttl.count())), max_entries_(std::max<std::size_t>(1, max_entries)) {}

std::string presence_cache::key(std::string_view app, std::string_view user) {
  std::string k;
  build_key(k, app, user);
  return k;
}

const std::vector<unsigned>* presence_cache::find(std::string_view app, std::string_view user, std::int64_t now_ms) {
  if (!enabled()) return nullptr;
  build_key(scratch_, app, user);
  auto it = index_.find(scratch_);
  if (it == index_.end()) return nullptr;
  if (now_ms - it->second->fetched_ms >= ttl_ms_) {
    erase(it->second);
    return nullptr;
  }
  return &it->second->nodes;
}

void presence_cache::put(std::string_view app, std::string_view user, std::vector<unsigned> nodes,
                         std::int64_t fetched_ms) {
  if (!enabled()) return;
  build_key(scratch_, app, user);
  if (auto it = index_.find(scratch_); it != index_.end()) erase(it->second);
  sweep(fetched_ms);
  while (index_.size() >= max_entries_) erase(by_fetch_.begin());
  // Fetch times only grow (one thread, steady clock), so appending keeps the list in fetch order.
  by_fetch_.push_back(entry{scratch_, std::move(nodes), fetched_ms});
  auto last = std::prev(by_fetch_.end());
  index_.emplace(std::string_view(last->key), last);
}

void presence_cache::drop(std::string_view cache_key) {
  if (auto it = index_.find(cache_key); it != index_.end()) erase(it->second);
}

void presence_cache::clear() {
  index_.clear();
  by_fetch_.clear();
}

void presence_cache::erase(std::list<entry>::iterator it) {
  index_.erase(std::string_view(it->key));
  by_fetch_.erase(it);
}

void presence_cache::sweep(std::int64_t now_ms) {
  while (!by_fetch_.empty() && now_ms - by_fetch_.front().fetched_ms >= ttl_ms_) erase(by_fetch_.begin());
}

}  // namespace chorus::cluster
