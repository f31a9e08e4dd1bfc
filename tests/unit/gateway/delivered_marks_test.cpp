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

TEST(DeliveredMarks, MarksWhoseKeysShareAHashStayApart) {
  // Every key hashes alike: each mark is told apart from the others of its
  // chain by session and conversation.
  delivered_marks d([](std::uint64_t, std::string_view) -> std::uint64_t { return 42; });
  for (int round = 0; round < 2; ++round) {
    for (std::uint64_t s = 1; s <= 20; ++s)
      for (std::uint64_t seq = 1; seq <= 3; ++seq) {
        d.add("101", "2", "d:1|" + std::to_string(s % 4), s, seq * 10 + s);
        d.add("101", "2", "d:9|9", s, seq);
      }
    const auto& marks = d.take();
    ASSERT_EQ(marks.size(), 40u) << "round " << round;
    for (std::size_t i = 0; i < marks.size(); ++i) {
      std::uint64_t s = i / 2 + 1;
      EXPECT_EQ(marks[i].session, s);
      if (i % 2 == 0) {
        EXPECT_EQ(marks[i].conv, "d:1|" + std::to_string(s % 4));
        EXPECT_EQ(marks[i].seq, 30 + s);
      } else {
        EXPECT_EQ(marks[i].conv, "d:9|9");
        EXPECT_EQ(marks[i].seq, 3u);
      }
    }
    EXPECT_TRUE(d.empty());
  }
}
