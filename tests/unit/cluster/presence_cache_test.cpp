#include "chorus/cluster/presence_cache.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using chorus::cluster::presence_cache;
using namespace std::chrono_literals;

namespace {
std::vector<unsigned> at(presence_cache& c, const std::string& app, const std::string& user, std::int64_t now) {
  auto* ids = c.find(app, user, now);
  return ids ? *ids : std::vector<unsigned>{99};  // 99: not cached
}
const std::vector<unsigned> missing{99};
}  // namespace

TEST(PresenceCache, AnswersWithinTheTtlOnly) {
  presence_cache c(1000ms, 10);
  c.put("101", "alice", {1, 2}, 5000);
  EXPECT_EQ(at(c, "101", "alice", 5000), (std::vector<unsigned>{1, 2}));
  EXPECT_EQ(at(c, "101", "alice", 5999), (std::vector<unsigned>{1, 2}));
  EXPECT_EQ(at(c, "101", "alice", 6000), missing);
  EXPECT_EQ(c.size(), 0u);  // an expired entry is gone once seen
}

TEST(PresenceCache, NoOneIsAnAnswerToo) {
  presence_cache c(1000ms, 10);
  c.put("101", "bob", {}, 0);
  auto* ids = c.find("101", "bob", 10);
  ASSERT_NE(ids, nullptr);
  EXPECT_TRUE(ids->empty());
}

TEST(PresenceCache, RefetchReplacesTheEntry) {
  presence_cache c(1000ms, 10);
  c.put("101", "alice", {1}, 0);
  c.put("101", "alice", {3}, 900);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(at(c, "101", "alice", 1500), (std::vector<unsigned>{3}));
}

TEST(PresenceCache, DropForgetsOneUserByThePublishedKey) {
  presence_cache c(1000ms, 10);
  c.put("101", "alice", {1}, 0);
  c.put("101", "bob", {2}, 0);
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
  presence_cache c(1000ms, 10);
  c.put("a:b", "c", {1}, 0);
  c.put("a", "b:c", {2}, 0);
  c.drop(presence_cache::key("a", "b:c"));
  EXPECT_EQ(at(c, "a:b", "c", 1), (std::vector<unsigned>{1}));
  EXPECT_EQ(at(c, "a", "b:c", 1), missing);
}

TEST(PresenceCache, BoundedByDroppingTheOldestFetch) {
  presence_cache c(1000ms, 3);
  for (int i = 0; i < 5; ++i) c.put("101", "u" + std::to_string(i), {unsigned(i)}, 100 + i);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(at(c, "101", "u0", 200), missing);
  EXPECT_EQ(at(c, "101", "u1", 200), missing);
  EXPECT_EQ(at(c, "101", "u4", 200), (std::vector<unsigned>{4}));
}

TEST(PresenceCache, ExpiredEntriesAreSweptAsNewOnesComeIn) {
  presence_cache c(1000ms, 1000);
  for (int i = 0; i < 100; ++i) c.put("101", "old" + std::to_string(i), {1}, i);
  c.put("101", "new", {2}, 2000);  // every old entry is past its TTL now
  EXPECT_EQ(c.size(), 1u);
}

TEST(PresenceCache, TtlZeroCachesNothing) {
  presence_cache c(0ms, 10);
  EXPECT_FALSE(c.enabled());
  c.put("101", "alice", {1}, 0);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.find("101", "alice", 0), nullptr);
}
