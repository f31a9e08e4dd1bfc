#include "chorus/protocol/encode.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

using namespace chorus;

TEST(Encode, ResponseEnvelope) {
  auto v = boost::json::parse(protocol::response("7", "login", core::code::not_logged_in)).as_object();
  EXPECT_EQ(v.at("seq").as_string(), "7");
  EXPECT_EQ(v.at("action").as_string(), "login");
  auto& r = v.at("response").as_object();
  EXPECT_EQ(r.at("code").as_int64(), 1000);
  EXPECT_EQ(r.at("msg").as_string(), "not logged in");
  EXPECT_TRUE(r.at("data").is_object());
}

TEST(Encode, MessagePushHasTheGoSystemsFields) {
  core::message m;
  m.app = "101";
  m.conv = "d:1|2";
  m.seq = 17;
  m.id = "00000000000000ff";
  m.from = "1";
  m.to = "2";
  m.room = "0";
  m.type = "text";
  m.content = "<b>hi</b> \"quoted\"";
  m.ts_ms = 1700000000123;
  auto v = boost::json::parse(protocol::message_push(m)).as_object();
  EXPECT_EQ(v.at("code").as_int64(), 200);
  EXPECT_EQ(v.at("msg").as_string(), "success");
  auto& d = v.at("data").as_object();
  EXPECT_EQ(d.at("action").as_string(), "sendmsg");
  EXPECT_EQ(d.at("msgId").as_string(), "00000000000000ff");
  EXPECT_EQ(d.at("msgType").as_string(), "text");
  EXPECT_EQ(d.at("content").as_string(), "<b>hi</b> \"quoted\"");
  EXPECT_EQ(d.at("from").as_string(), "1");
  EXPECT_EQ(d.at("to").as_string(), "2");
  EXPECT_EQ(d.at("groupsId").as_string(), "0");
  EXPECT_EQ(d.at("msgTimestamp").as_string(), "1700000000");
  EXPECT_EQ(d.at("conv").as_string(), "d:1|2");
  EXPECT_EQ(d.at("convSeq").to_number<std::uint64_t>(), 17u);
}

TEST(Encode, MessagePushIsTheGenericEncodingByteForByte) {
  // message_push writes its JSON by hand for speed; it must equal what the
  // generic encoder makes of message_json, whatever the content holds.
  core::message m;
  m.app = "101";
  m.conv = "r:7";
  m.seq = 18446744073709551615ull;
  m.id = "id";
  m.from = "a@b";
  m.to = "0";
  m.room = "7";
  m.client_msg_id = "c-1";
  m.type = "text";
  m.ts_ms = -1;
  for (std::string content : {std::string(), std::string("plain"), std::string("q\"b\\s/\n\t\x01\x1f"),
                              std::string("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string(2000, 'x'),
                              std::string("a/b \x7f ~ <>&'"), std::string("\""), std::string("\\"),
                              std::string(1, '\0'), std::string(600, '"')}) {
    m.content = content;
    boost::json::object env;
    env["code"] = 200;
    env["msg"] = "success";
    env["data"] = protocol::message_json(m);
    EXPECT_EQ(protocol::message_push(m), boost::json::serialize(env));
  }
}

TEST(Encode, SendmsgAnswerIsTheGenericEncodingByteForByte) {
  // sendmsg_answer writes its JSON by hand for speed; it must equal the
  // generic response with the answer's data object, whatever the fields hold.
  auto data = [](const core::message& m, bool duplicate) {
    return boost::json::object{{"msgId", m.id},
                               {"clientMsgId", m.client_msg_id},
                               {"conv", m.conv},
                               {"convSeq", m.seq},
                               {"msgTimestamp", std::to_string(m.ts_ms / 1000)},
                               {"msgTimeMs", m.ts_ms},
                               {"duplicate", duplicate}};
  };
  core::message m;
  m.app = "101";
  m.seq = 18446744073709551615ull;
  m.id = "00000000000000ff";
  m.from = "a";
  m.to = "b";
  for (std::string text : {std::string(), std::string("plain"), std::string("q\"b\\s/\n\t\x01\x1f"),
                           std::string("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")}) {
    for (bool duplicate : {false, true}) {
      m.client_msg_id = text;
      m.conv = "d:a|" + text;
      m.ts_ms = duplicate ? -1 : 1700000000123;
      std::string seq = "s" + text;
      EXPECT_EQ(protocol::sendmsg_answer(seq, "sendmsg", m, duplicate),
                protocol::response(seq, "sendmsg", core::code::ok, {}, data(m, duplicate)));
    }
  }
  auto v = boost::json::parse(protocol::sendmsg_answer("7", "sendmsg", m, true)).as_object();
  EXPECT_EQ(v.at("seq").as_string(), "7");
  EXPECT_EQ(v.at("response").at("code").as_int64(), 200);
  EXPECT_EQ(v.at("response").at("data").at("msgId").as_string(), "00000000000000ff");
  EXPECT_EQ(v.at("response").at("data").at("convSeq").to_number<std::uint64_t>(), m.seq);
  EXPECT_TRUE(v.at("response").at("data").at("duplicate").as_bool());
}

TEST(Encode, DeliveredPushIsTheGenericEncodingByteForByte) {
  for (std::string text : {std::string(), std::string("plain"), std::string("q\"b\\s/\n\t\x01\x1f"),
                           std::string("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")}) {
    for (std::uint64_t seq : {std::uint64_t{0}, std::uint64_t{17}, std::uint64_t{18446744073709551615ull}}) {
      std::string conv = "d:a|" + text, from = "u" + text;
      EXPECT_EQ(protocol::delivered_push(conv, from, seq),
                protocol::event_push("delivered", {{"conv", conv}, {"from", from}, {"convSeq", seq}}));
    }
  }
}

TEST(Encode, EventPush) {
  auto v = boost::json::parse(protocol::event_push("enter", {{"from", "3"}, {"groupsId", "1"}})).as_object();
  EXPECT_EQ(v.at("data").at("action").as_string(), "enter");
  EXPECT_EQ(v.at("data").at("from").as_string(), "3");
}
