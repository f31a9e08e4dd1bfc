#include "chorus/gateway/delivered_marks.hpp"

#include <gtest/gtest.h>

using chorus::gateway::delivered_marks;

TEST(DeliveredMarks, CollapsePerSessionAndConversationToTheHighest) {
  delivered_marks d;
  EXPECT_TRUE(d.empty());
  EXPECT_TRUE(d.add("101", "2", "d:1|2", 7, 3));   // the first: schedule
  EXPECT_FALSE(d.add("101", "2", "d:1|2", 7, 5));  // scheduled already
  EXPECT_FALSE(d.add("101", "2", "d:1|2", 7, 4));  // never back
  EXPECT_FALSE(d.add("101", "2", "d:2|3", 7, 1));  // another conversation
  EXPECT_FALSE(d.add("101", "2", "d:1|2", 8, 2));  // another device of the user
  auto marks = d.take();
  ASSERT_EQ(marks.size(), 3u);
  EXPECT_EQ(marks[0].conv, "d:1|2");
  EXPECT_EQ(marks[0].session, 7u);
  EXPECT_EQ(marks[0].seq, 5u);
  EXPECT_EQ(marks[0].app, "101");
  EXPECT_EQ(marks[0].user, "2");
  EXPECT_EQ(marks[1].conv, "d:2|3");
  EXPECT_EQ(marks[1].seq, 1u);
  EXPECT_EQ(marks[2].session, 8u);
  EXPECT_EQ(marks[2].seq, 2u);
  EXPECT_TRUE(d.empty());
  // Taken: the next mark schedules again and starts afresh.
  EXPECT_TRUE(d.add("101", "2", "d:1|2", 7, 6));
  ASSERT_EQ(d.take().size(), 1u);
}
