#include "chorus/cluster/directory.hpp"
#include "chorus/cluster/presence_cache.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using chorus::cluster::directory;
using chorus::cluster::presence_cache;
using namespace std::chrono_literals;

namespace {
std::vector<unsigned> at(presence_cache& c, const std::string& app, const std::string& user, std::int64_t as_of) {
  auto* ids = c.find(app, user, as_of);
  return ids ? *ids : std::vector<unsigned>{99};  // 99: not answered from the cache
}
const std::vector<unsigned> missing{99};

// A cache whose fence is at `t`.
presence_cache fenced(std::chrono::milliseconds bound, std::size_t max, std::int64_t t) {
  presence_cache c(bound, max);
  c.fence(t);
  return c;
}
}  // namespace

// --- the fence -------------------------------------------------------------

TEST(PresenceCacheFence, NothingIsFreshBeforeTheFirstPong) {
  presence_cache c(500ms, 10);
  c.put("101", "alice", {1});
  EXPECT_EQ(c.applied_up_to(), presence_cache::never);
  EXPECT_FALSE(c.fresh(0));
  EXPECT_EQ(at(c, "101", "alice", 0), missing);
  c.fence(1000);
  EXPECT_EQ(at(c, "101", "alice", 1000), (std::vector<unsigned>{1}));
}

TEST(PresenceCacheFence, AnswersOnlyWhileTheFenceIsWithinTheBoundOfTheDelivery) {
  auto c = fenced(500ms, 10, 1000);
  c.put("101", "alice", {1});
  EXPECT_EQ(at(c, "101", "alice", 1500), (std::vector<unsigned>{1}));  // exactly the bound: still fresh
  EXPECT_EQ(at(c, "101", "alice", 1501), missing);                     // the caller asks Redis instead
  EXPECT_EQ(c.size(), 1u);  // a stale fence drops nothing: the entry is usable again once it catches up
  c.fence(1400);
  EXPECT_EQ(at(c, "101", "alice", 1501), (std::vector<unsigned>{1}));
}

TEST(PresenceCacheFence, ADeliveryHandedOverBeforeTheFenceIsFresh) {
  // A routing job queued before the pong's job runs after it: the fence is
  // ahead of the delivery, which is better still.
  auto c = fenced(500ms, 10, 5000);
  EXPECT_TRUE(c.fresh(1000));
}

TEST(PresenceCacheFence, NeverMovesBack) {
  // Pongs come in order, but a late job of an older PING must not undo a newer one.
  auto c = fenced(500ms, 10, 2000);
  c.fence(1000);
  EXPECT_EQ(c.applied_up_to(), 2000);
  EXPECT_TRUE(c.fresh(2500));
}

TEST(PresenceCacheFence, ANewSubscriptionUnfencesButAClearDoesNot) {
  auto c = fenced(500ms, 10, 1000);
  c.clear();  // the main connection reconnected, or "*": entries go, the fence holds
  EXPECT_TRUE(c.fresh(1100));
  c.unfence();  // a new subscription: fresh again only after its own first pong
  EXPECT_FALSE(c.fresh(1100));
  c.put("101", "alice", {2});
  EXPECT_EQ(at(c, "101", "alice", 1100), missing);
  c.fence(1050);
  EXPECT_EQ(at(c, "101", "alice", 1100), (std::vector<unsigned>{2}));
}

TEST(PresenceCacheFence, EntriesLiveUntilInvalidatedWhateverTheirAge) {
  auto c = fenced(500ms, 10, 0);
  c.put("101", "alice", {1});
  for (std::int64_t t = 0; t <= 3'600'000; t += 100) c.fence(t);  // an hour of pongs, no change
  EXPECT_EQ(at(c, "101", "alice", 3'600'000), (std::vector<unsigned>{1}));
}

TEST(PresenceCacheFence, InvalidationsQueuedBeforeAPongAreAppliedBeforeItsFence) {
  // The directory's queue, as the watch fills it: a routing job caches
  // alice on node 1; then the watch receives "alice changed" and a pong for
  // the PING it sent at 1000, and queues a drop and a fence, in that order.
  auto c = fenced(500ms, 10, 900);
  c.put("101", "alice", {1});
  // A routing job that runs before the drop still uses the old entry; its
  // delivery was handed over within the bound of the old fence (900).
  EXPECT_EQ(at(c, "101", "alice", 1300), (std::vector<unsigned>{1}));
  // One handed over later than the bound allows asks Redis.
  EXPECT_EQ(at(c, "101", "alice", 1401), missing);
  c.drop(presence_cache::key("101", "alice"));
  c.fence(1000);
  // Every job after the fence misses the entry, so it asks Redis.
  EXPECT_EQ(at(c, "101", "alice", 1401), missing);
  c.put("101", "alice", {1, 2});
  EXPECT_EQ(at(c, "101", "alice", 1401), (std::vector<unsigned>{1, 2}));
}

TEST(PresenceCacheFence, PingEveryFifthOfTheBoundWithinLimits) {
  EXPECT_EQ(directory::ping_interval(500ms), 100ms);
  EXPECT_EQ(directory::ping_interval(20ms), 10ms);       // at most 100 PINGs a second
  EXPECT_EQ(directory::ping_interval(3'600'000ms), 1000ms);  // at least one a second
}

// --- the entries -----------------------------------------------------------

TEST(PresenceCache, NoOneIsAnAnswerToo) {
  auto c = fenced(500ms, 10, 0);
  c.put("101", "bob", {});
  auto* ids = c.find("101", "bob", 10);
  ASSERT_NE(ids, nullptr);
  EXPECT_TRUE(ids->empty());
}

TEST(PresenceCache, RefetchReplacesTheEntry) {
  auto c = fenced(500ms, 10, 0);
  c.put("101", "alice", {1});
  c.put("101", "alice", {3});
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(at(c, "101", "alice", 100), (std::vector<unsigned>{3}));
}

TEST(PresenceCache, DropForgetsOneUserByThePublishedKey) {
  auto c = fenced(500ms, 10, 0);
  c.put("101", "alice", {1});
  c.put("101", "bob", {2});
  c.drop(presence_cache::key("101", "alice"));
  c.drop(presence_cache::key("101", "nobody"));  // not cached: nothing happens
  EXPECT_EQ(at(c, "101", "alice", 1), missing);
  EXPECT_EQ(at(c, "101", "bob", 1), (std::vector<unsigned>{2}));
  c.clear();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(at(c, "101", "bob", 1), missing);
}

TEST(PresenceCache, KeysAreUnambiguousWithColonsInIds) {
  // ':' is valid in ids: "a:b" + "c" and "a" + "b:c" are different users.
  EXPECT_NE(presence_cache::key("a:b", "c"), presence_cache::key("a", "b:c"));
  EXPECT_EQ(presence_cache::key("101", "alice"), "3:101alice");
  EXPECT_EQ(presence_cache::key("a:b", "c"), "3:a:bc");
  EXPECT_EQ(presence_cache::key("a", "b:c"), "1:ab:c");
  auto c = fenced(500ms, 10, 0);
  c.put("a:b", "c", {1});
  c.put("a", "b:c", {2});
  c.drop(presence_cache::key("a", "b:c"));
  EXPECT_EQ(at(c, "a:b", "c", 1), (std::vector<unsigned>{1}));
  EXPECT_EQ(at(c, "a", "b:c", 1), missing);
}

TEST(PresenceCache, BoundedByDroppingTheLeastRecentlyUsed) {
  auto c = fenced(500ms, 3, 0);
  c.put("101", "u0", {0});
  c.put("101", "u1", {1});
  c.put("101", "u2", {2});
  EXPECT_EQ(at(c, "101", "u0", 1), (std::vector<unsigned>{0}));  // u0 is used: u1 is the oldest now
  c.put("101", "u3", {3});
  c.put("101", "u4", {4});
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(at(c, "101", "u1", 1), missing);
  EXPECT_EQ(at(c, "101", "u2", 1), missing);
  EXPECT_EQ(at(c, "101", "u0", 1), (std::vector<unsigned>{0}));
  EXPECT_EQ(at(c, "101", "u4", 1), (std::vector<unsigned>{4}));
}

TEST(PresenceCache, BoundZeroCachesNothing) {
  presence_cache c(0ms, 10);
  EXPECT_FALSE(c.enabled());
  c.fence(0);
  EXPECT_FALSE(c.fresh(0));
  c.put("101", "alice", {1});
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.find("101", "alice", 0), nullptr);
}
