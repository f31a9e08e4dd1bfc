#include "chorus/chat/inbox.hpp"

#include <gtest/gtest.h>

using chorus::chat::inbox;
using v = inbox::verdict;

TEST(Inbox, DeliversTheNextAndDropsRepeats) {
  inbox in;
  EXPECT_EQ(in.offer("d:1|2", 1), v::deliver);
  EXPECT_EQ(in.offer("d:1|2", 2), v::deliver);
  EXPECT_EQ(in.offer("d:1|2", 2), v::drop);
  EXPECT_EQ(in.offer("d:1|2", 1), v::drop);
  EXPECT_EQ(in.position("d:1|2"), 2u);
}

TEST(Inbox, AGapAsksForASync) {
  inbox in;
  in.offer("d:1|2", 1);
  EXPECT_EQ(in.offer("d:1|2", 3), v::resync);
  EXPECT_EQ(in.position("d:1|2"), 1u);
}

TEST(Inbox, LiveMessagesDuringASyncMakeItGoAgain) {
  inbox in;
  in.begin_sync();
  EXPECT_EQ(in.offer("d:1|2", 1), v::drop);
  EXPECT_TRUE(in.syncing());
  EXPECT_TRUE(in.end_round(false, false));  // something was dropped: one more round
  EXPECT_FALSE(in.end_round(false, false));
  EXPECT_FALSE(in.syncing());
}

TEST(Inbox, SyncRoundsContinueWhileThereIsMore) {
  inbox in;
  in.begin_sync();
  EXPECT_TRUE(in.end_round(true, false));
  EXPECT_TRUE(in.end_round(false, true));
  EXPECT_FALSE(in.end_round(false, false));
}

TEST(Inbox, StartPointsComeFromTheStoreAndNewRoomsAreReported) {
  inbox in;
  EXPECT_FALSE(in.placed());  // a first round resumes the device's cursors
  auto rooms = in.start_points({{"d:1|2", 4}, {"r:7", 10}});
  EXPECT_EQ(rooms, (std::vector<std::string>{"7"}));
  EXPECT_EQ(in.position("r:7"), 10u);
  EXPECT_TRUE(in.placed());  // later rounds go by the positions only
  EXPECT_TRUE(in.start_points({{"r:7", 10}}).empty());
  EXPECT_EQ(in.offer("d:1|2", 5), v::deliver);
}

TEST(Inbox, SyncedMessagesAreAcceptedOnce) {
  inbox in;
  in.start_points({{"d:1|2", 0}});
  EXPECT_TRUE(in.accept_synced("d:1|2", 1));
  EXPECT_FALSE(in.accept_synced("d:1|2", 1));
  EXPECT_TRUE(in.accept_synced("d:1|2", 2));
}

TEST(Inbox, OwnMessageAdvancesOnlyWhenNext) {
  inbox in;
  in.note_own("d:1|2", 1);
  EXPECT_EQ(in.position("d:1|2"), 1u);
  in.note_own("d:1|2", 3);  // 2 not seen yet: stay, the push of 2 will come
  EXPECT_EQ(in.position("d:1|2"), 1u);
  // ... and then the position moves over 3, remembered, to wait for 4.
  EXPECT_EQ(in.offer("d:1|2", 2), v::deliver);
  EXPECT_EQ(in.position("d:1|2"), 3u);
  EXPECT_EQ(in.offer("d:1|2", 4), v::deliver);
}

TEST(Inbox, OwnMessagesSentDuringASyncAreNotHandedBackByIt) {
  // The other side's 2 and 4 come while a sync round runs (dropped, the
  // round reads them); this session sent 3 and 5 meanwhile.
  inbox in;
  in.start_points({{"d:1|2", 1}});
  in.begin_sync();
  EXPECT_EQ(in.offer("d:1|2", 2), v::drop);
  in.note_own("d:1|2", 3);
  EXPECT_EQ(in.offer("d:1|2", 4), v::drop);
  in.note_own("d:1|2", 5);
  EXPECT_TRUE(in.end_round(false, false));  // live traffic was dropped: again
  // The next round reads 2..5 from the store: only the other side's are pushed.
  EXPECT_TRUE(in.accept_synced("d:1|2", 2));
  EXPECT_FALSE(in.accept_synced("d:1|2", 3));
  EXPECT_TRUE(in.accept_synced("d:1|2", 4));
  EXPECT_FALSE(in.accept_synced("d:1|2", 5));
  EXPECT_FALSE(in.end_round(false, false));
  EXPECT_EQ(in.position("d:1|2"), 5u);
  EXPECT_EQ(in.offer("d:1|2", 6), v::deliver);
}

TEST(Inbox, OwnMessagesPassedByStartPointsOrALeaveAreForgotten) {
  inbox in;
  in.start_points({{"d:1|2", 1}, {"r:7", 0}});
  in.note_own("d:1|2", 4);
  in.start_points({{"d:1|2", 5}});  // a cursor further on: 4 is behind it
  EXPECT_EQ(in.position("d:1|2"), 5u);
  EXPECT_EQ(in.offer("d:1|2", 6), v::deliver);
  in.note_own("r:7", 3);
  in.left("r:7");
  in.joined("r:7", 0);
  EXPECT_TRUE(in.accept_synced("r:7", 3));  // after a rejoin, 3 is just a message
}

TEST(Inbox, JoinAndLeave) {
  inbox in;
  in.joined("r:7", 5);
  EXPECT_EQ(in.offer("r:7", 6), v::deliver);
  in.left("r:7");
  EXPECT_EQ(in.position("r:7"), 0u);
  EXPECT_EQ(in.known().size(), 0u);
}
