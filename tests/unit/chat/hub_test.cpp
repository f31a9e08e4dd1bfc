#include "chorus/chat/hub.hpp"

#include "fakes.hpp"

#include <gtest/gtest.h>

using namespace chorus::chat;
using fakes::recording_endpoint;

namespace {
std::shared_ptr<delivery> direct(std::string from, std::string to, std::uint64_t skip = 0) {
  auto d = std::make_shared<delivery>();
  d->app = "101";
  d->from = std::move(from);
  d->to = std::move(to);
  d->skip_session = skip;
  return d;
}
std::shared_ptr<delivery> to_room(std::string room) {
  auto d = std::make_shared<delivery>();
  d->app = "101";
  d->room = std::move(room);
  return d;
}
}  // namespace

TEST(Hub, DirectGoesToBothUsersDevicesButNotTheSendingSession) {
  hub h;
  recording_endpoint a1("101", "1", 1), a2("101", "1", 2), b("101", "2", 3), c("101", "3", 4);
  for (auto* e : {&a1, &a2, &b, &c}) h.add(e);
  auto d = direct("1", "2", /*skip*/ 1);
  d->seq = 7;
  h.deliver(d);
  EXPECT_EQ(a1.got.size(), 0u);
  // The sending session is told of its own message, in delivery order.
  EXPECT_EQ(a1.own, std::vector<std::uint64_t>{7});
  EXPECT_EQ(a2.got.size(), 1u);
  EXPECT_TRUE(a2.own.empty());
  EXPECT_EQ(b.got.size(), 1u);
  EXPECT_EQ(c.got.size(), 0u);
}

TEST(Hub, MessageToSelfIsDeliveredOncePerDevice) {
  hub h;
  recording_endpoint a("101", "1", 1);
  h.add(&a);
  h.deliver(direct("1", "1"));
  EXPECT_EQ(a.got.size(), 1u);
}

TEST(Hub, RoomGoesToIndexedSessionsOnly) {
  hub h;
  recording_endpoint a("101", "1", 1), b("101", "2", 2), other_app("102", "1", 3);
  for (auto* e : {&a, &b, &other_app}) h.add(e);
  h.add_room(&a, "7");
  h.add_room(&other_app, "7");
  h.deliver(to_room("7"));
  EXPECT_EQ(a.got.size(), 1u);
  EXPECT_EQ(b.got.size(), 0u);
  EXPECT_EQ(other_app.got.size(), 0u);  // tenants never mix
}

TEST(Hub, MembershipChangesReachEverySessionOfTheUser) {
  hub h;
  recording_endpoint a1("101", "1", 1), a2("101", "1", 2);
  h.add(&a1);
  h.add(&a2);
  h.apply({"101", "7", "1", true, 3});
  EXPECT_TRUE(h.in_room(&a1, "7"));
  EXPECT_TRUE(h.in_room(&a2, "7"));
  ASSERT_EQ(a1.changes.size(), 1u);
  EXPECT_EQ(a1.changes[0].joined_seq, 3u);
  h.apply({"101", "7", "1", false, 0});
  EXPECT_FALSE(h.in_room(&a1, "7"));
  h.deliver(to_room("7"));
  EXPECT_EQ(a1.got.size(), 0u);
}

TEST(Hub, RemoveLeavesNoTrace) {
  hub h;
  recording_endpoint a("101", "1", 1);
  h.add(&a);
  h.add_room(&a, "7");
  h.remove(&a);
  EXPECT_EQ(h.size(), 0u);
  h.deliver(to_room("7"));
  h.deliver(direct("2", "1"));
  EXPECT_EQ(a.got.size(), 0u);
  EXPECT_TRUE(h.sessions_of("101", "1").empty());
}
