#include "chorus/core/ids.hpp"

#include <gtest/gtest.h>

using namespace chorus::core;

TEST(Ids, ValidIdsAreShortAndPlain) {
  EXPECT_TRUE(valid_id("1"));
  EXPECT_TRUE(valid_id("user.name@example-1:x_y"));
  EXPECT_TRUE(valid_id(std::string(64, 'a')));
  EXPECT_FALSE(valid_id(""));
  EXPECT_FALSE(valid_id(std::string(65, 'a')));
  EXPECT_FALSE(valid_id("a b"));
  EXPECT_FALSE(valid_id("a|b"));
  EXPECT_FALSE(valid_id("<script>"));
  EXPECT_FALSE(valid_id("\xc3\xa9"));
}

TEST(Ids, DirectConversationIsTheSameFromBothEnds) {
  EXPECT_EQ(direct_conv("1", "2"), "d:1|2");
  EXPECT_EQ(direct_conv("2", "1"), "d:1|2");
  EXPECT_TRUE(direct_conv_has("d:1|2", "1"));
  EXPECT_TRUE(direct_conv_has("d:1|2", "2"));
  EXPECT_FALSE(direct_conv_has("d:1|2", "3"));
  EXPECT_EQ(direct_peer("d:1|2", "1"), "2");
  EXPECT_EQ(direct_peer("d:1|2", "2"), "1");
}

TEST(Ids, RoomConversation) {
  EXPECT_EQ(room_conv("7"), "r:7");
  EXPECT_TRUE(is_room_conv("r:7"));
  EXPECT_EQ(conv_room("r:7"), "7");
  EXPECT_EQ(conv_room("d:1|2"), "");
}

TEST(Ids, ValidConv) {
  EXPECT_TRUE(valid_conv("r:7"));
  EXPECT_TRUE(valid_conv("d:1|2"));
  EXPECT_FALSE(valid_conv("r:"));
  EXPECT_FALSE(valid_conv("d:1"));
  EXPECT_FALSE(valid_conv("d:|2"));
  EXPECT_FALSE(valid_conv("x:1"));
  EXPECT_FALSE(valid_conv("r:a b"));
}
