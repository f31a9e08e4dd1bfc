#include "chorus/protocol/fields.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace chorus;
using core::code;

namespace {
boost::json::object obj(const char* text) { return boost::json::parse(text).as_object(); }
}  // namespace

TEST(Login, GoSystemFields) {
  auto l = protocol::read_login(obj(R"({"userId":"1","appId":101,"toUid":"2","groupsId":"0","token":""})"));
  ASSERT_TRUE(l) << l.error.msg;
  EXPECT_EQ(l->user, "1");
  EXPECT_EQ(l->app, "101");
  EXPECT_EQ(l->to_uid, "2");
  EXPECT_EQ(l->room, "0");
  EXPECT_EQ(l->device, "default");
  EXPECT_FALSE(l->manual_ack);
}

TEST(Login, MissingOrBadUserIdIs1002) {
  EXPECT_EQ(protocol::read_login(obj(R"({})")).error.code, code::bad_user_id);
  EXPECT_EQ(protocol::read_login(obj(R"({"userId":"a b"})")).error.code, code::bad_user_id);
  EXPECT_EQ(protocol::read_login(obj(R"({"userId":{}})")).error.code, code::bad_user_id);
}

TEST(Login, AckModeAndDevice) {
  auto l = protocol::read_login(obj(R"({"userId":1,"deviceId":"phone","ackMode":"manual"})"));
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->manual_ack);
  EXPECT_EQ(l->device, "phone");
  EXPECT_EQ(l->app, "");
  EXPECT_FALSE(protocol::read_login(obj(R"({"userId":1,"ackMode":"sometimes"})")));
}

TEST(Sendmsg, DefaultsAndLimits) {
  protocol::limits lim;
  lim.max_message_bytes = 10;
  auto m = protocol::read_sendmsg(obj(R"({"message":"hi"})"), lim);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to_uid, "0");
  EXPECT_EQ(m->room, "0");
  EXPECT_EQ(m->type, "text");
  auto big = protocol::read_sendmsg(obj(R"({"message":"01234567890"})"), lim);
  EXPECT_EQ(big.error.code, code::too_large);
  EXPECT_EQ(protocol::read_sendmsg(obj(R"({"message":5})"), lim).error.code, code::bad_parameter);
  EXPECT_EQ(protocol::read_sendmsg(obj(R"({"message":""})"), lim).error.code, code::bad_parameter);
  EXPECT_EQ(protocol::read_sendmsg(obj(R"({})"), lim).error.code, code::bad_parameter);
  EXPECT_EQ(protocol::read_sendmsg(obj(R"({"message":"x","toUid":{"a":1}})"), lim).error.code, code::bad_parameter);
  EXPECT_EQ(protocol::read_sendmsg(obj(R"({"message":"x","msgId":"has space"})"), lim).error.code,
            code::bad_parameter);
}

TEST(ConvRef, ByConvOrByPeer) {
  auto a = protocol::read_conv_ref(obj(R"({"conv":"d:1|2"})"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->conv, "d:1|2");
  auto b = protocol::read_conv_ref(obj(R"({"toUid":"2"})"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->to_uid, "2");
  EXPECT_FALSE(protocol::read_conv_ref(obj(R"({})")));
  EXPECT_FALSE(protocol::read_conv_ref(obj(R"({"conv":"nonsense"})")));
}

TEST(Ack, NeedsSeq) {
  EXPECT_FALSE(protocol::read_ack(obj(R"({"conv":"r:1"})")));
  EXPECT_FALSE(protocol::read_ack(obj(R"({"conv":"r:1","convSeq":-1})")));
  auto a = protocol::read_ack(obj(R"({"conv":"r:1","convSeq":3})"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->seq, 3u);
}

TEST(History, LimitBounds) {
  protocol::limits lim;
  EXPECT_FALSE(protocol::read_history(obj(R"({"conv":"r:1","limit":0})"), lim));
  EXPECT_FALSE(protocol::read_history(obj(R"({"conv":"r:1","limit":101})"), lim));
  auto h = protocol::read_history(obj(R"({"conv":"r:1","limit":10,"beforeSeq":5})"), lim);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->limit, 10u);
  EXPECT_EQ(h->before, 5u);
}

TEST(Room, ZeroIsNotARoom) {
  EXPECT_FALSE(protocol::read_room(obj(R"({"groupsId":"0"})")));
  EXPECT_FALSE(protocol::read_room(obj(R"({})")));
  EXPECT_TRUE(protocol::read_room(obj(R"({"groupsId":7})")));
}
