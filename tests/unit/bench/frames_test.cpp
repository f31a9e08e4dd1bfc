// The bench's frames: what it sends parses as the protocol says, and the
// scanner reads the server's frames as protocol/encode.cpp writes them.
#include "chorus/bench/frames.hpp"

#include "chorus/protocol/encode.hpp"
#include "chorus/protocol/request.hpp"

#include <gtest/gtest.h>

namespace chorus::bench {
namespace {

TEST(Frames, SendmsgFrameIsAValidRequestWithTheTimeInItsContent) {
  auto f = sendmsg_frame(sendmsg_prefix("toUid", "u2"), 17, 123456789, 64);
  auto r = protocol::parse_request(f);
  ASSERT_EQ(r.code, core::code::ok) << r.error;
  EXPECT_EQ(r.req.seq, "17");
  EXPECT_EQ(r.req.action, "sendmsg");
  EXPECT_EQ(r.req.data.at("toUid").as_string(), "u2");
  EXPECT_EQ(r.req.data.at("msgId").as_string(), "17");
  auto content = std::string(r.req.data.at("message").as_string());
  EXPECT_EQ(content.size(), 64u);
  EXPECT_EQ(content_time_us(content), 123456789);
}

TEST(Frames, SendmsgFrameCanOmitTheMsgId) {
  auto r = protocol::parse_request(sendmsg_frame(sendmsg_prefix("groupsId", "g1"), 3, 5, 1, false));
  ASSERT_EQ(r.code, core::code::ok) << r.error;
  EXPECT_EQ(r.req.data.at("groupsId").as_string(), "g1");
  EXPECT_FALSE(r.req.data.contains("msgId"));
  EXPECT_EQ(content_time_us(r.req.data.at("message").as_string()), 5);
}

TEST(Frames, LoginFrameNamesOnlyWhatIsGiven) {
  auto r = protocol::parse_request(login_frame({"u1", "", "", "room7"}));
  ASSERT_EQ(r.code, core::code::ok);
  EXPECT_EQ(r.req.data.at("userId").as_string(), "u1");
  EXPECT_EQ(r.req.data.at("groupsId").as_string(), "room7");
  EXPECT_FALSE(r.req.data.contains("toUid"));
}

TEST(Frames, ScansASendmsgResponse) {
  boost::json::object d;
  d["msgId"] = "0a0b";
  d["clientMsgId"] = "5";
  d["conv"] = "d:a|b";
  d["convSeq"] = 42;
  auto f = protocol::response("5", "sendmsg", core::code::ok, {}, d);
  auto i = scan_frame(f);
  EXPECT_EQ(i.k, frame_info::kind::response);
  EXPECT_EQ(i.seq, "5");
  EXPECT_EQ(i.action, "sendmsg");
  EXPECT_EQ(i.code, 200);
  EXPECT_EQ(i.conv, "d:a|b");
  EXPECT_EQ(i.conv_seq, 42);
}

TEST(Frames, ScansAnErrorResponse) {
  auto frame = protocol::response("9", "sendmsg", core::code::rate_limited);
  auto i = scan_frame(frame);
  EXPECT_EQ(i.k, frame_info::kind::response);
  EXPECT_EQ(i.code, 1012);
  EXPECT_EQ(i.conv_seq, -1);
}

TEST(Frames, ScansAMessagePush) {
  core::message m;
  m.id = "00ff";
  m.client_msg_id = "3";
  m.type = "text";
  m.content = "987654 xxxx";
  m.from = "a";
  m.to = "b";
  m.room = "0";
  m.app = "101";
  m.ts_ms = 1764169200123;
  m.conv = "d:a|b";
  m.seq = 7;
  auto frame = protocol::message_push(m);  // scan_frame's views point into it
  auto i = scan_frame(frame);
  EXPECT_EQ(i.k, frame_info::kind::message);
  EXPECT_EQ(i.action, "sendmsg");
  EXPECT_EQ(i.conv, "d:a|b");
  EXPECT_EQ(i.conv_seq, 7);
  EXPECT_EQ(i.from, "a");
  EXPECT_EQ(content_time_us(i.content), 987654);
}

TEST(Frames, ScansAMessagePushInAnotherKeyOrder) {
  // Not the layout encode.cpp writes: the scanner searches instead.
  std::string frame =
      R"({"code":200,"msg":"success","data":{"action":"sendmsg","msgId":"1","content":"55 x","to":"b",)"
      R"("from":"a","conv":"d:a|b","appId":"101","convSeq":12}})";
  auto i = scan_frame(frame);
  EXPECT_EQ(i.k, frame_info::kind::message);
  EXPECT_EQ(i.from, "a");
  EXPECT_EQ(i.conv, "d:a|b");
  EXPECT_EQ(i.conv_seq, 12);
  EXPECT_EQ(content_time_us(i.content), 55);
  // And with the envelope's keys in another order.
  std::string other = R"({"code":200,"data":{"action":"sendmsg","content":"66","from":"c","conv":"r:1","convSeq":3},"msg":"ok"})";
  i = scan_frame(other);
  EXPECT_EQ(i.k, frame_info::kind::message);
  EXPECT_EQ(i.from, "c");
  EXPECT_EQ(i.conv, "r:1");
  EXPECT_EQ(i.conv_seq, 3);
}

TEST(Frames, EventsAreNotMessages) {
  boost::json::object f;
  f["from"] = "a";
  f["conv"] = "d:a|b";
  f["convSeq"] = 3;
  auto frame = protocol::event_push("delivered", f);
  auto i = scan_frame(frame);
  EXPECT_EQ(i.k, frame_info::kind::event);
  EXPECT_EQ(i.action, "delivered");
}

}  // namespace
}  // namespace chorus::bench
