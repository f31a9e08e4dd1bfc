// The directory's cache of where users are: (app, user) -> the node ids that
// Redis' presence set held when it was fetched, so that routing a one-to-one
// message does not ask Redis every time. An entry is used for at most `ttl`
// after its fetch (the bound on how stale a route can be, even if an
// invalidation is lost); `drop` removes one user's entry when the presence
// channel says it changed. At most `max_entries` are kept: the oldest fetch
// goes first, and entries past their TTL are swept as new ones come in.
// Not thread-safe: only the directory's Redis thread uses it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace chorus::cluster {

class presence_cache {
 public:
  presence_cache(std::chrono::milliseconds ttl, std::size_t max_entries);

  // "<length of app>:<app><user>": unambiguous whatever the ids contain (':'
  // is valid in them). Also the payload of a presence-change publication.
  static std::string key(std::string_view app, std::string_view user);

  // The nodes fetched for the user, or nullptr if there is no entry or it is
  // older than the TTL at `now_ms` (steady clock). Valid until the next
  // call that changes the cache.
  const std::vector<unsigned>* find(std::string_view app, std::string_view user, std::int64_t now_ms);
  // Records what Redis said at `fetched_ms` (taken before the command was sent).
  void put(std::string_view app, std::string_view user, std::vector<unsigned> nodes, std::int64_t fetched_ms);
  void drop(std::string_view cache_key);
  void clear();

  std::size_t size() const { return index_.size(); }
  bool enabled() const { return ttl_ms_ > 0; }

 private:
  struct entry {
    std::string key;
    std::vector<unsigned> nodes;
    std::int64_t fetched_ms;
  };
  void erase(std::list<entry>::iterator it);
  void sweep(std::int64_t now_ms);

  std::int64_t ttl_ms_;
  std::size_t max_entries_;
  std::list<entry> by_fetch_;  // oldest fetch first
  std::unordered_map<std::string_view, std::list<entry>::iterator> index_;  // views of the entries' keys
  std::string scratch_;  // the key being looked up, reused
};

}  // namespace chorus::cluster
