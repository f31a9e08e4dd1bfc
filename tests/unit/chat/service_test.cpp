#include "chorus/chat/service.hpp"

#include "chorus/store/memory_store.hpp"
#include "fakes.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace chorus;
using chat::fakes::recording_fanout;

namespace {
struct fixture {
  store::memory_store st;
  recording_fanout out;
  chat::presence pres;
  chat::metrics met;
  chat::service svc{st, out, pres, met};

  store::append_result send(core::message m, std::uint64_t origin = 9) {
    store::append_result got;
    svc.send(std::move(m), origin, [&](store::append_result r) { got = std::move(r); });
    return got;
  }
};

core::message msg(std::string from, std::string to, std::string room, std::string client_id = "") {
  core::message m;
  m.app = "101";
  m.from = std::move(from);
  m.to = std::move(to);
  m.room = std::move(room);
  m.type = "text";
  m.content = "hi";
  m.client_msg_id = std::move(client_id);
  return m;
}
}  // namespace

TEST(Service, DirectMessageIsStoredThenPublishedOnceSkippingTheSender) {
  fixture f;
  auto r = f.send(msg("1", "2", "0"), 42);
  ASSERT_EQ(r.st, store::status::ok);
  EXPECT_EQ(r.msg.conv, "d:1|2");
  ASSERT_EQ(f.out.published.size(), 1u);
  auto& d = *f.out.published[0];
  EXPECT_EQ(d.seq, 1u);
  EXPECT_EQ(d.skip_session, 42u);
  EXPECT_TRUE(d.room.empty());
  auto push = boost::json::parse(*d.frame).as_object();
  EXPECT_EQ(push.at("data").at("convSeq").as_int64(), 1);
  EXPECT_EQ(f.met.messages_stored.Value(), 1.0);
}

TEST(Service, RoomMessageNeedsMembershipAndReachesTheSenderToo) {
  fixture f;
  EXPECT_EQ(f.send(msg("1", "", "7")).st, store::status::not_member);
  EXPECT_TRUE(f.out.published.empty());
  store::join_result jr;
  f.svc.join("101", "7", "1", [&](store::join_result r) { jr = r; });
  EXPECT_TRUE(jr.joined);
  ASSERT_EQ(f.out.changes.size(), 1u);
  EXPECT_TRUE(f.out.changes[0]->joined);
  auto r = f.send(msg("1", "whatever", "7"));
  ASSERT_EQ(r.st, store::status::ok);
  EXPECT_EQ(r.msg.to, "0");
  EXPECT_EQ(r.msg.conv, "r:7");
  ASSERT_EQ(f.out.published.size(), 1u);
  EXPECT_EQ(f.out.published[0]->skip_session, 0u);
  EXPECT_EQ(f.out.published[0]->room, "7");
}

TEST(Service, RetryIsNotPublishedAgain) {
  fixture f;
  f.send(msg("1", "2", "0", "k1"));
  auto again = f.send(msg("1", "2", "0", "k1"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(f.out.published.size(), 1u);
  EXPECT_EQ(f.met.messages_duplicate.Value(), 1.0);
}

TEST(Service, JoinTwiceAnnouncesOnceAndLeaveAnnounces) {
  fixture f;
  f.svc.join("101", "7", "1", [](store::join_result) {});
  f.svc.join("101", "7", "1", [](store::join_result) {});
  EXPECT_EQ(f.out.changes.size(), 1u);
  store::leave_result lr;
  f.svc.leave("101", "7", "1", [&](store::leave_result r) { lr = r; });
  EXPECT_TRUE(lr.left);
  ASSERT_EQ(f.out.changes.size(), 2u);
  EXPECT_FALSE(f.out.changes[1]->joined);
}

TEST(Service, RoomEventIsPublishedUnstored) {
  fixture f;
  f.svc.conv_event("101", "r:7", "1", 0, "enter", {{"from", "1"}});
  ASSERT_EQ(f.out.published.size(), 1u);
  EXPECT_EQ(f.out.published[0]->what, chat::delivery::kind::event);
  EXPECT_EQ(f.out.published[0]->seq, 0u);
}
