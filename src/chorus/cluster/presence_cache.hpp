// The directory's cache of where users are: (app, user) -> the node ids that
// Redis' presence set held when it was fetched, so that routing a one-to-one
// message does not ask Redis every time. An entry lives until `drop` removes
// it (the presence channel says its user changed) or `clear` empties the
// cache; at most `max_entries` are kept, the least recently used going first.
//
// Entries have no age limit: staleness is bounded by the *fence* instead.
// The watch PINGs its subscribed connection now and then; a pong comes after
// every publication Redis sent before it, so once the jobs queued before the
// pong have run, every change published before that PING was sent has been
// dropped here: `fence(sent)`. The cache answers for a delivery handed over
// at time t only while t - fence <= `bound`; otherwise (the subscription is
// slow, stalled or silently dead) `find` says nothing and the caller asks
// Redis. So a route misses only changes published at most `bound` before its
// delivery was handed over (docs/cluster.md, "The presence cache").
//
// Not thread-safe: the directory guards it with a mutex (its Redis thread
// changes it; routes read it on their callers' threads too).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace chorus::cluster {

class presence_cache {
 public:
  // `bound` 0: no cache (every lookup asks Redis).
  presence_cache(std::chrono::milliseconds bound, std::size_t max_entries);

  // "<length of app>:<app><user>": unambiguous whatever the ids contain (':'
  // is valid in them). Also the payload of a presence-change publication and
  // the tail of the user's Redis key.
  static std::string key(std::string_view app, std::string_view user);

  // Every change published before `applied_up_to_ms` (steady clock) has been
  // dropped. Never moves back.
  void fence(std::int64_t applied_up_to_ms);
  // Nothing is known to be applied (a new subscription): nothing is fresh
  // until the next fence().
  void unfence();
  // Whether a delivery handed over at `as_of_ms` may be routed from the cache.
  bool fresh(std::int64_t as_of_ms) const;
  std::int64_t applied_up_to() const { return applied_ms_; }  // never: min()

  // The nodes fetched for the user, or nullptr if there is no entry or the
  // cache is not fresh as of `as_of_ms`. Valid until the next call that
  // changes the cache.
  const std::vector<unsigned>* find(std::string_view app, std::string_view user, std::int64_t as_of_ms);
  // Records what Redis said (fetched after the last clear(), so that a later
  // change is published to, and dropped by, the current subscription).
  void put(std::string_view app, std::string_view user, std::vector<unsigned> nodes);
  void drop(std::string_view cache_key);
  void clear();

  std::size_t size() const { return index_.size(); }
  bool enabled() const { return bound_ms_ > 0; }
  std::chrono::milliseconds bound() const { return std::chrono::milliseconds(bound_ms_); }

  static constexpr std::int64_t never = std::numeric_limits<std::int64_t>::min();

 private:
  struct entry {
    std::string key;
    std::vector<unsigned> nodes;
  };
  void erase(std::list<entry>::iterator it);

  std::int64_t bound_ms_;
  std::size_t max_entries_;
  std::int64_t applied_ms_ = never;
  std::list<entry> by_use_;  // least recently used first
  std::unordered_map<std::string_view, std::list<entry>::iterator> index_;  // views of the entries' keys
  std::string scratch_;  // the key being looked up, reused
};

}  // namespace chorus::cluster
