#include "chorus/gateway/origin.hpp"

#include <gtest/gtest.h>

using chorus::gateway::origin_allowed;

TEST(Origin, NoOriginIsANativeClient) { EXPECT_TRUE(origin_allowed("", "127.0.0.1:8282", {})); }

TEST(Origin, SameHostIsAllowed) {
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:8282", "127.0.0.1:8282", {}));
  EXPECT_TRUE(origin_allowed("https://Chat.Example.com", "chat.example.com", {}));
}

TEST(Origin, OtherHostsAreRefused) {
  EXPECT_FALSE(origin_allowed("http://evil.example", "127.0.0.1:8282", {}));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:9999", "127.0.0.1:8282", {}));
  EXPECT_FALSE(origin_allowed("null", "127.0.0.1:8282", {}));
  EXPECT_FALSE(origin_allowed("file://", "127.0.0.1:8282", {}));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:8282", "", {}));
}

TEST(Origin, AllowList) {
  EXPECT_TRUE(origin_allowed("http://app.example", "127.0.0.1:8282", {"http://app.example"}));
  EXPECT_FALSE(origin_allowed("http://app.example.evil", "127.0.0.1:8282", {"http://app.example"}));
  EXPECT_TRUE(origin_allowed("http://anything", "x", {"*"}));
}
