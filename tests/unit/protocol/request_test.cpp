#include "chorus/protocol/request.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

using namespace chorus;

#ifndef CHORUS_CASES_DIR
#define CHORUS_CASES_DIR "."
#endif

TEST(Request, CasesFromDataFile) {
  std::ifstream in(std::string(CHORUS_CASES_DIR) + "/requests.txt");
  ASSERT_TRUE(in) << "missing cases file";
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto arrow = line.rfind("=>");
    ASSERT_NE(arrow, std::string::npos) << line;
    auto frame = line.substr(0, arrow);
    while (!frame.empty() && frame.back() == ' ') frame.pop_back();
    std::string expect = line.substr(arrow + 2);
    auto r = protocol::parse_request(frame);
    int code = std::stoi(expect);
    EXPECT_EQ(static_cast<int>(r.code), code) << frame << " -> " << r.error;
    if (code == 200) {
      auto action = expect.substr(expect.find_last_of(' ') + 1);
      EXPECT_EQ(r.req.action, action) << frame;
    } else {
      EXPECT_FALSE(r.error.empty()) << frame;
    }
    ++cases;
  }
  EXPECT_GE(cases, 15);
}

TEST(Request, SeqIsEchoedEvenWhenTheRestIsBad) {
  auto r = protocol::parse_request(R"({"seq":"abc","action":"login","data":5})");
  EXPECT_EQ(r.code, core::code::bad_parameter);
  EXPECT_EQ(r.req.seq, "abc");
  EXPECT_EQ(r.req.action, "login");
}

TEST(Request, InvalidUtf8IsMalformed) {
  std::string frame = "{\"seq\":\"1\",\"action\":\"sendmsg\",\"data\":{\"message\":\"\xff\xfe\"}}";
  auto r = protocol::parse_request(frame);
  EXPECT_EQ(r.code, core::code::malformed_frame);
}

TEST(Request, NumericSeqBecomesText) {
  auto r = protocol::parse_request(R"({"seq":42,"action":"heartbeat"})");
  ASSERT_EQ(r.code, core::code::ok);
  EXPECT_EQ(r.req.seq, "42");
}

TEST(Request, DataIsKept) {
  auto r = protocol::parse_request(R"({"seq":"1","action":"login","data":{"userId":"9"}})");
  ASSERT_EQ(r.code, core::code::ok);
  EXPECT_EQ(r.req.data.at("userId").as_string(), "9");
}

TEST(Request, ALargeFrameIsKeptWhole) {
  std::string frame = R"({"seq":"1","action":"sendmsg","data":{)";
  for (int i = 0; i < 500; ++i) frame += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"" + std::string(40, 'v') + "\"";
  frame += "}}";
  auto r = protocol::parse_request(frame);
  ASSERT_EQ(r.code, core::code::ok);
  ASSERT_EQ(r.req.data.size(), 500u);
  EXPECT_EQ(r.req.data.at("k499").as_string(), std::string(40, 'v'));
}
