// The storage contract: one suite, run against every store (LevelDB's memenv
// idea). A store that passes it can back a node.
#include "chorus/core/ids.hpp"
#include "chorus/store/memory_store.hpp"
#include "chorus/store/postgres/connection.hpp"
#include "chorus/store/postgres/postgres_store.hpp"
#include "chorus/store/postgres/reader.hpp"
#include "chorus/store/sqlite/sqlite_store.hpp"
#include "chorus/store/sqlite/statement.hpp"
#include "chorus/store/sqlite/writer.hpp"
#include "chorus/store/threaded_store.hpp"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <stdexcept>
#include <thread>
#include <utility>

using namespace chorus;
using store::status;

namespace {

// Calls an asynchronous store method and waits for its result.
template <class R, class Call>
R wait_for(Call&& call) {
  std::promise<R> p;
  auto f = p.get_future();
  call([&p](R r) { p.set_value(std::move(r)); });
  return f.get();
}

store::append_request direct_msg(const std::string& from, const std::string& to, const std::string& text,
                                 const std::string& client_id = "", const std::string& app = "101") {
  store::append_request r;
  r.msg.app = app;
  r.msg.from = from;
  r.msg.to = to;
  r.msg.room = "0";
  r.msg.conv = core::direct_conv(from, to);
  r.msg.type = "text";
  r.msg.content = text;
  r.msg.client_msg_id = client_id;
  return r;
}

store::append_request room_msg(const std::string& from, const std::string& room, const std::string& text,
                               const std::string& app = "101") {
  store::append_request r;
  r.msg.app = app;
  r.msg.from = from;
  r.msg.to = "0";
  r.msg.room = room;
  r.msg.conv = core::room_conv(room);
  r.msg.type = "text";
  r.msg.content = text;
  r.require_member = true;
  return r;
}

// Issues a write without waiting for it: the future holds its result.
template <class R>
std::pair<std::function<void(R)>, std::future<R>> fulfil() {
  auto p = std::make_shared<std::promise<R>>();
  auto f = p->get_future();
  return {[p](R r) { p->set_value(std::move(r)); }, std::move(f)};
}
std::future<store::append_result> append_async(store::store& s, store::append_request r) {
  auto [done, f] = fulfil<store::append_result>();
  s.append(std::move(r), std::move(done));
  return std::move(f);
}
std::future<store::join_result> join_async(store::store& s, const std::string& room, const std::string& user,
                                           const std::string& app = "101") {
  auto [done, f] = fulfil<store::join_result>();
  s.join(app, room, user, std::move(done));
  return std::move(f);
}
std::future<store::leave_result> leave_async(store::store& s, const std::string& room, const std::string& user) {
  auto [done, f] = fulfil<store::leave_result>();
  s.leave("101", room, user, std::move(done));
  return std::move(f);
}

// Holds a threaded store's writer thread (in the callback of a cursor
// update) until release(), so that the writes issued meanwhile queue up and
// go into one batch: one transaction. The memory store has no batches; its
// writes run one by one at once.
class batch_gate {
 public:
  explicit batch_gate(store::store& s) {
    // The callback holds its own copy of the shared state: it may still be
    // waking up on the writer thread when a released gate is destroyed.
    holder_ = std::thread([this, &s] {
      s.advance_cursor("101", "gate", "d", core::direct_conv("gate", "keeper"), 1,
                       [this, released = released_](status) {
                         entered_.set_value();  // the constructor waits for this: `this` is alive
                         released.wait();
                       });
    });
    entered_.get_future().wait();
  }
  ~batch_gate() { release(); }
  void release() {
    if (!holder_.joinable()) return;
    release_.set_value();
    holder_.join();
  }

 private:
  std::promise<void> entered_, release_;
  std::shared_future<void> released_ = release_.get_future().share();
  std::thread holder_;
};

struct factory {
  std::string name;
  std::function<std::unique_ptr<store::store>(const std::string& path)> open;
  friend void PrintTo(const factory& f, std::ostream* os) { *os << f.name; }
};

class StoreContract : public ::testing::TestWithParam<factory> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("chorus-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    s_ = GetParam().open((dir_ / "chorus.db").string());
  }
  void TearDown() override {
    s_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    s_.reset();
    s_ = GetParam().open((dir_ / "chorus.db").string());
  }

  store::append_result send(const std::string& from, const std::string& to, const std::string& text,
                            const std::string& client_id = "", const std::string& app = "101") {
    return append_async(*s_, direct_msg(from, to, text, client_id, app)).get();
  }
  store::append_result send_room(const std::string& from, const std::string& room, const std::string& text,
                                 const std::string& app = "101") {
    return append_async(*s_, room_msg(from, room, text, app)).get();
  }
  store::join_result join(const std::string& room, const std::string& user, const std::string& app = "101") {
    return join_async(*s_, room, user, app).get();
  }
  store::leave_result leave(const std::string& room, const std::string& user) {
    return leave_async(*s_, room, user).get();
  }
  store::sync_result sync(const std::string& user, const std::string& device = "d",
                          std::vector<store::position> known = {}, std::size_t limit = 500,
                          const std::string& app = "101", bool resume_device = true) {
    store::sync_request q{app, user, device, std::move(known), limit, resume_device};
    return wait_for<store::sync_result>([&](auto done) { s_->sync(std::move(q), done); });
  }
  store::history_result history(const std::string& user, const std::string& conv, std::uint64_t before,
                                std::size_t limit) {
    store::history_request q{"101", user, conv, before, limit};
    return wait_for<store::history_result>([&](auto done) { s_->history(std::move(q), done); });
  }
  // conversation -> the user's read mark, from the conversation list.
  std::map<std::string, std::uint64_t> read_marks(const std::string& user) {
    std::map<std::string, std::uint64_t> out;
    auto c = wait_for<store::conversations_result>([&](auto done) { s_->conversations("101", user, done); });
    for (auto& conv : c.convs) out[conv.conv] = conv.read_seq;
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::store> s_;
  static inline int counter_ = 0;
};

std::vector<std::uint64_t> seqs(const std::vector<core::message>& ms) {
  std::vector<std::uint64_t> out;
  for (auto& m : ms) out.push_back(m.seq);
  return out;
}

}  // namespace

TEST_P(StoreContract, AppendNumbersEachConversationFromOne) {
  EXPECT_EQ(send("1", "2", "a").msg.seq, 1u);
  EXPECT_EQ(send("2", "1", "b").msg.seq, 2u);
  EXPECT_EQ(send("1", "3", "c").msg.seq, 1u);
  auto r = send("1", "2", "d");
  EXPECT_EQ(r.st, status::ok);
  EXPECT_EQ(r.msg.seq, 3u);
  EXPECT_EQ(r.msg.id.size(), 16u);
  EXPECT_GT(r.msg.ts_ms, 0);
  EXPECT_FALSE(r.duplicate);
}

// The key is the sender's, whatever the message: a client id used again
// for another recipient answers with the first message and starts no
// conversation with the new one.
TEST_P(StoreContract, AClientIdUsedAgainForAnotherRecipientAnswersWithTheFirstMessage) {
  auto first = send("1", "2", "hello", "m-1");
  auto again = send("1", "3", "other", "m-1");
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.msg.id, first.msg.id);
  EXPECT_EQ(again.msg.conv, core::direct_conv("1", "2"));
  EXPECT_EQ(again.msg.content, "hello");
  EXPECT_TRUE(sync("3").convs.empty());
  EXPECT_EQ(sync("1").convs.size(), 1u);
  EXPECT_EQ(send("1", "3", "first to 3").msg.seq, 1u);
}

// A member who left and sends again a message from when they were one gets
// it back; a new message after leaving is refused.
TEST_P(StoreContract, AMessageSentAgainAfterLeavingARoomAnswersWithItself) {
  join("7", "1");
  auto r = room_msg("1", "7", "while a member");
  r.msg.client_msg_id = "m-r";
  auto first = append_async(*s_, r).get();
  ASSERT_EQ(first.st, status::ok);
  EXPECT_TRUE(leave("7", "1").left);
  auto again = append_async(*s_, r).get();
  EXPECT_EQ(again.st, status::ok);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.msg.id, first.msg.id);
  EXPECT_EQ(again.msg.seq, first.msg.seq);
  auto other = room_msg("1", "7", "after leaving");
  other.msg.client_msg_id = "m-s";
  EXPECT_EQ(append_async(*s_, other).get().st, status::not_member);
}

TEST_P(StoreContract, SameClientIdIsStoredOnce) {
  auto first = send("1", "2", "hello", "m-1");
  auto again = send("1", "2", "hello", "m-1");
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.msg.id, first.msg.id);
  EXPECT_EQ(again.msg.seq, first.msg.seq);
  EXPECT_EQ(again.msg.content, "hello");
  EXPECT_EQ(send("1", "2", "next").msg.seq, 2u);
  // The key is per sender: another sender may use the same client id.
  EXPECT_FALSE(send("2", "1", "x", "m-1").duplicate);
  EXPECT_EQ(history("1", core::direct_conv("1", "2"), 0, 10).messages.size(), 3u);
}

TEST_P(StoreContract, RoomNeedsMembership) {
  EXPECT_EQ(send_room("1", "7", "x").st, status::not_member);
  auto j = join("7", "1");
  EXPECT_TRUE(j.joined);
  EXPECT_EQ(j.joined_seq, 0u);
  EXPECT_EQ(send_room("1", "7", "x").msg.seq, 1u);
  auto again = join("7", "1");
  EXPECT_FALSE(again.joined);
  EXPECT_EQ(again.joined_seq, 0u);
}

TEST_P(StoreContract, LateJoinerStartsAtTheJoinPoint) {
  join("7", "1");
  send_room("1", "7", "a");
  send_room("1", "7", "b");
  auto j = join("7", "2");
  EXPECT_EQ(j.joined_seq, 2u);
  send_room("1", "7", "c");
  auto s = sync("2");
  ASSERT_EQ(s.missed.size(), 1u);
  EXPECT_EQ(s.missed[0].content, "c");
}

TEST_P(StoreContract, SyncReturnsWhatTheDeviceMissedInOrder) {
  for (int i = 0; i < 5; ++i) send("1", "2", "m" + std::to_string(i));
  send("3", "2", "other");
  auto s = sync("2");
  EXPECT_EQ(s.st, status::ok);
  EXPECT_FALSE(s.more);
  ASSERT_EQ(s.missed.size(), 6u);
  ASSERT_EQ(s.convs.size(), 2u);
  // Grouped by conversation, ascending within it.
  std::vector<std::uint64_t> d12, d23;
  for (auto& m : s.missed) (m.conv == core::direct_conv("1", "2") ? d12 : d23).push_back(m.seq);
  EXPECT_EQ(d12, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(d23, (std::vector<std::uint64_t>{1}));
}

TEST_P(StoreContract, CursorsArePerDeviceAndOnlyMoveForward) {
  for (int i = 0; i < 4; ++i) send("1", "2", "m");
  auto conv = core::direct_conv("1", "2");
  s_->advance_cursor("101", "2", "phone", conv, 3, {});
  s_->advance_cursor("101", "2", "phone", conv, 1, {});  // never back
  s_->flush();
  EXPECT_EQ(seqs(sync("2", "phone").missed), (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(sync("2", "laptop").missed.size(), 4u);
}

TEST_P(StoreContract, ReadsSeeEveryWriteIssuedBeforeThem) {
  // An ack followed at once by a login's sync must see the ack: no flush.
  auto conv = core::direct_conv("1", "2");
  for (int round = 1; round <= 20; ++round) {
    send("1", "2", "m");
    s_->advance_cursor("101", "2", "d", conv, static_cast<std::uint64_t>(round), {});
    EXPECT_TRUE(sync("2").missed.empty()) << "round " << round;
  }
}

TEST_P(StoreContract, EitherEndMayReadAnEmptyDirectConversation) {
  auto h = history("3", core::direct_conv("1", "3"), 0, 10);
  EXPECT_EQ(h.st, status::ok);
  EXPECT_TRUE(h.messages.empty());
  EXPECT_EQ(history("3", "r:7", 0, 10).st, status::not_member);
}

TEST_P(StoreContract, ConversationListHasLastMessageAndReadMarks) {
  send("1", "2", "old");
  join("7", "2");
  join("7", "1");
  send_room("1", "7", "room");
  send("3", "2", "newest");
  s_->mark_read("101", "2", core::direct_conv("1", "2"), 1, {});
  s_->mark_read("101", "2", core::direct_conv("1", "2"), 0, {});  // never back
  auto r = wait_for<store::conversations_result>([&](auto done) { s_->conversations("101", "2", done); });
  ASSERT_EQ(r.st, status::ok);
  ASSERT_EQ(r.convs.size(), 3u);
  EXPECT_EQ(r.convs[0].conv, core::direct_conv("2", "3"));  // most recent first
  EXPECT_EQ(r.convs[0].last.content, "newest");
  EXPECT_EQ(r.convs[1].conv, "r:7");
  EXPECT_EQ(r.convs[1].last_seq, 1u);
  EXPECT_EQ(r.convs[1].read_seq, 0u);
  EXPECT_EQ(r.convs[2].conv, core::direct_conv("1", "2"));
  EXPECT_EQ(r.convs[2].read_seq, 1u);
  EXPECT_TRUE(r.convs[2].has_last);
}

TEST_P(StoreContract, OwnMessagesAreNeverUnread) {
  join("7", "1");
  send_room("1", "7", "mine");
  send("1", "2", "mine too");
  auto r = wait_for<store::conversations_result>([&](auto done) { s_->conversations("101", "1", done); });
  ASSERT_EQ(r.convs.size(), 2u);
  for (auto& c : r.convs) EXPECT_EQ(c.read_seq, c.last_seq) << c.conv;
  auto other = wait_for<store::conversations_result>([&](auto done) { s_->conversations("101", "2", done); });
  ASSERT_EQ(other.convs.size(), 1u);
  EXPECT_EQ(other.convs[0].read_seq, 0u);
}

TEST_P(StoreContract, ReadMarkStartsAtTheJoinPoint) {
  join("7", "1");
  send_room("1", "7", "a");
  send_room("1", "7", "b");
  join("7", "2");
  auto r = wait_for<store::conversations_result>([&](auto done) { s_->conversations("101", "2", done); });
  ASSERT_EQ(r.convs.size(), 1u);
  EXPECT_EQ(r.convs[0].read_seq, 2u);
  EXPECT_EQ(r.convs[0].last_seq, 2u);
}

TEST_P(StoreContract, KnownPositionsSkipWhatTheSessionHas) {
  for (int i = 0; i < 4; ++i) send("1", "2", "m");
  auto conv = core::direct_conv("1", "2");
  EXPECT_EQ(seqs(sync("2", "d", {{conv, 2}}).missed), (std::vector<std::uint64_t>{3, 4}));
}

TEST_P(StoreContract, KnownPositionsOverrideTheDevicesCursor) {
  // Two live connections of one device share its stored cursor: one that
  // acked further must not make the other skip what it was never handed.
  for (int i = 0; i < 5; ++i) send("1", "2", "m");
  auto conv = core::direct_conv("1", "2");
  s_->advance_cursor("101", "2", "d", conv, 4, {});
  s_->flush();
  auto r = sync("2", "d", {{conv, 1}});
  ASSERT_EQ(r.convs.size(), 1u);
  EXPECT_EQ(r.convs[0].seq, 1u);
  EXPECT_EQ(seqs(r.missed), (std::vector<std::uint64_t>{2, 3, 4, 5}));
  // A connection's first round, knowing nothing of the conversation, takes
  // over where the device was; a later round (every conversation placed by
  // the first, so this one is newer) starts at the join point.
  EXPECT_EQ(seqs(sync("2", "d").missed), (std::vector<std::uint64_t>{5}));
  EXPECT_EQ(seqs(sync("2", "d", {}, 500, "101", false).missed), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  // The join point still bounds it: a room member starts after joining.
  join("7", "1");
  send_room("1", "7", "before");
  join("7", "2");
  send_room("1", "7", "after");
  s_->advance_cursor("101", "2", "d", "r:7", 2, {});
  s_->flush();
  auto later = sync("2", "d", {{conv, 5}}, 500, "101", false);
  ASSERT_EQ(later.convs.size(), 2u);
  EXPECT_EQ(later.convs[1].conv, "r:7");
  EXPECT_EQ(later.convs[1].seq, 1u);
  EXPECT_EQ(seqs(later.missed), (std::vector<std::uint64_t>{2}));
}

// Syncs queued together are read together (query_reader::sync_many; for
// PostgreSQL one statement for all): each must get what it would alone.
TEST_P(StoreContract, SyncsReadTogetherEachGetTheirOwnAnswer) {
  for (int i = 0; i < 5; ++i) send("1", "2", "to 2");
  for (int i = 0; i < 3; ++i) send("3", "2", "from 3");
  send("1", "3", "to 3");
  send("1", "2", "other app", "", "102");
  join("7", "2");
  join("7", "3");
  send_room("3", "7", "room");
  auto d12 = core::direct_conv("1", "2");
  s_->advance_cursor("101", "2", "d", d12, 4, {});
  s_->flush();
  std::vector<store::sync_request> requests{
      {"101", "2", "d", {}, 500, true},           // resumes the device: d12 after 4
      {"101", "2", "e", {{d12, 1}}, 500, true},   // another device, a known position
      {"101", "2", "d", {}, 500, false},          // a later round: join points only
      {"101", "3", "d", {}, 500, true},           // another user
      {"101", "9", "d", {}, 500, true},           // no conversations at all
      {"101", "2", "f", {}, 2, true},             // cut short by its limit
      {"102", "2", "d", {}, 500, true},           // another tenant
      {"101", "2", "d", {{d12, 5}, {d12, 2}}, 500, true},  // said twice: the larger
  };
  auto same = [](const store::sync_result& a, const store::sync_result& b, std::size_t i) {
    EXPECT_EQ(a.st, b.st) << "request " << i;
    EXPECT_EQ(a.more, b.more) << "request " << i;
    ASSERT_EQ(a.convs.size(), b.convs.size()) << "request " << i;
    for (std::size_t k = 0; k < a.convs.size(); ++k) {
      EXPECT_EQ(a.convs[k].conv, b.convs[k].conv) << "request " << i;
      EXPECT_EQ(a.convs[k].seq, b.convs[k].seq) << "request " << i;
    }
    ASSERT_EQ(a.missed.size(), b.missed.size()) << "request " << i;
    for (std::size_t k = 0; k < a.missed.size(); ++k) {
      EXPECT_EQ(a.missed[k].conv, b.missed[k].conv) << "request " << i;
      EXPECT_EQ(a.missed[k].seq, b.missed[k].seq) << "request " << i;
      EXPECT_EQ(a.missed[k].content, b.missed[k].content) << "request " << i;
      EXPECT_EQ(a.missed[k].app, b.missed[k].app) << "request " << i;
    }
  };
  std::vector<store::sync_result> alone;
  for (auto& q : requests) alone.push_back(wait_for<store::sync_result>([&](auto done) { s_->sync(q, done); }));
  // What the requests must get, spelled out for a few.
  EXPECT_EQ(seqs(alone[0].missed), (std::vector<std::uint64_t>{5, 1, 2, 3, 1}));
  EXPECT_EQ(alone[1].missed.size(), 8u);
  EXPECT_TRUE(alone[4].convs.empty());
  EXPECT_TRUE(alone[5].more);
  EXPECT_EQ(alone[6].missed.size(), 1u);
  EXPECT_EQ(seqs(alone[7].missed), (std::vector<std::uint64_t>{1, 2, 3, 1}));
  // Held behind a write batch, every sync queues; the reader then takes
  // the first alone and the rest together.
  batch_gate gate(*s_);
  std::vector<std::future<store::sync_result>> together;
  for (auto& q : requests) {
    auto [done, f] = fulfil<store::sync_result>();
    s_->sync(q, std::move(done));
    together.push_back(std::move(f));
  }
  gate.release();
  for (std::size_t i = 0; i < requests.size(); ++i) same(together[i].get(), alone[i], i);
}

TEST_P(StoreContract, SyncIsPagedByLimit) {
  for (int i = 0; i < 7; ++i) send("1", "2", "m");
  auto conv = core::direct_conv("1", "2");
  auto a = sync("2", "d", {}, 3);
  EXPECT_TRUE(a.more);
  EXPECT_EQ(seqs(a.missed), (std::vector<std::uint64_t>{1, 2, 3}));
  auto b = sync("2", "d", {{conv, 3}}, 3);
  EXPECT_EQ(seqs(b.missed), (std::vector<std::uint64_t>{4, 5, 6}));
  auto c = sync("2", "d", {{conv, 6}}, 3);
  EXPECT_FALSE(c.more);
  EXPECT_EQ(seqs(c.missed), (std::vector<std::uint64_t>{7}));
}

TEST_P(StoreContract, APageCutAcrossConversationsStillListsThemAll) {
  // Three conversations of user 2, three messages each; odd ids on purpose
  // (a quote and a backslash travel in the known positions too).
  const std::string odd = "q\"b\\s";
  for (const auto& peer : {std::string("1"), std::string("3"), odd})
    for (int i = 0; i < 3; ++i) send(peer, "2", "m");
  std::vector<std::string> convs{core::direct_conv("1", "2"), core::direct_conv("2", "3"),
                                 core::direct_conv(odd, "2")};
  std::sort(convs.begin(), convs.end());
  auto a = sync("2", "d", {}, 4);
  EXPECT_TRUE(a.more);
  ASSERT_EQ(a.convs.size(), 3u);  // every conversation, though the page ends in the second
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a.convs[i].conv, convs[i]);
    EXPECT_EQ(a.convs[i].seq, 0u);
  }
  ASSERT_EQ(a.missed.size(), 4u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(a.missed[i].conv, convs[0]);
  EXPECT_EQ(a.missed[3].conv, convs[1]);
  EXPECT_EQ(seqs(a.missed), (std::vector<std::uint64_t>{1, 2, 3, 1}));
  // The next page from what the session has: the same conversation twice
  // counts its larger position; an unknown one is ignored.
  auto b = sync("2", "d", {{convs[0], 3}, {convs[1], 1}, {convs[2], 2}, {convs[1], 0}, {"d:8|9", 5}}, 4);
  EXPECT_FALSE(b.more);
  ASSERT_EQ(b.convs.size(), 3u);
  EXPECT_EQ(b.convs[0].seq, 3u);
  EXPECT_EQ(b.convs[1].seq, 1u);
  EXPECT_EQ(b.convs[2].seq, 2u);
  ASSERT_EQ(b.missed.size(), 3u);
  EXPECT_EQ(b.missed[0].conv, convs[1]);
  EXPECT_EQ(b.missed[2].conv, convs[2]);
  EXPECT_EQ(seqs(b.missed), (std::vector<std::uint64_t>{2, 3, 3}));
}

TEST_P(StoreContract, LeaveEndsMembershipAndRejoinStartsAfresh) {
  join("7", "1");
  join("7", "2");
  send_room("1", "7", "a");
  EXPECT_TRUE(leave("7", "2").left);
  EXPECT_FALSE(leave("7", "2").left);
  EXPECT_EQ(send_room("2", "7", "x").st, status::not_member);
  send_room("1", "7", "while away");
  auto j = join("7", "2");
  EXPECT_EQ(j.joined_seq, 2u);
  send_room("1", "7", "after");
  s_->advance_cursor("101", "2", "d", "r:7", 1, {});
  s_->flush();
  auto s = sync("2");
  ASSERT_EQ(s.missed.size(), 1u);
  EXPECT_EQ(s.missed[0].content, "after");
}

TEST_P(StoreContract, HistoryPagesBackwards) {
  for (int i = 1; i <= 12; ++i) send("1", "2", std::to_string(i));
  auto conv = core::direct_conv("1", "2");
  auto h = history("2", conv, 0, 5);
  EXPECT_EQ(seqs(h.messages), (std::vector<std::uint64_t>{12, 11, 10, 9, 8}));
  h = history("2", conv, 8, 5);
  EXPECT_EQ(seqs(h.messages), (std::vector<std::uint64_t>{7, 6, 5, 4, 3}));
  h = history("2", conv, 3, 5);
  EXPECT_EQ(seqs(h.messages), (std::vector<std::uint64_t>{2, 1}));
  EXPECT_EQ(history("3", conv, 0, 5).st, status::not_member);
}

TEST_P(StoreContract, MembersAndRooms) {
  join("7", "1");
  join("7", "2");
  join("8", "1");
  auto m = wait_for<store::members_result>([&](auto done) { s_->room_members("101", "7", done); });
  EXPECT_EQ(m.users, (std::vector<std::string>{"1", "2"}));
  auto r = wait_for<store::rooms_result>([&](auto done) { s_->rooms("101", done); });
  ASSERT_EQ(r.rooms.size(), 2u);
  EXPECT_EQ(r.rooms[0].room, "7");
  EXPECT_EQ(r.rooms[0].members, 2u);
  EXPECT_EQ(r.rooms[1].room, "8");
}

TEST_P(StoreContract, TenantsAreSeparate) {
  send("1", "2", "in 101", "", "101");
  send("1", "2", "in 102", "", "102");
  join("7", "1", "102");
  auto a = sync("2", "d", {}, 500, "101");
  ASSERT_EQ(a.missed.size(), 1u);
  EXPECT_EQ(a.missed[0].content, "in 101");
  EXPECT_EQ(a.missed[0].seq, 1u);
  auto r = wait_for<store::rooms_result>([&](auto done) { s_->rooms("101", done); });
  EXPECT_TRUE(r.rooms.empty());
}

TEST_P(StoreContract, ConcurrentWritersGetGapFreeUniqueSeqs) {
  join("7", "w0");
  join("7", "w1");
  join("7", "w2");
  join("7", "w3");
  std::mutex mu;
  std::vector<std::uint64_t> got;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = send_room("w" + std::to_string(t), "7", "x");
        std::lock_guard lock(mu);
        got.push_back(r.msg.seq);
      }
    });
  for (auto& th : threads) th.join();
  std::set<std::uint64_t> unique(got.begin(), got.end());
  ASSERT_EQ(unique.size(), 200u);
  EXPECT_EQ(*unique.begin(), 1u);
  EXPECT_EQ(*unique.rbegin(), 200u);
}

// The writes of one batch run in order, each seeing the ones before it.
TEST_P(StoreContract, SameClientIdTwiceInOneBatchIsStoredOnce) {
  batch_gate gate(*s_);
  auto first = append_async(*s_, direct_msg("1", "2", "hello", "m-1"));
  auto other = append_async(*s_, direct_msg("1", "2", "other"));
  auto again = append_async(*s_, direct_msg("1", "2", "hello again", "m-1"));
  gate.release();
  auto a = first.get(), b = other.get(), c = again.get();
  EXPECT_EQ(a.st, status::ok);
  EXPECT_FALSE(a.duplicate);
  EXPECT_EQ(a.msg.seq, 1u);
  EXPECT_EQ(b.msg.seq, 2u);
  EXPECT_EQ(c.st, status::ok);
  EXPECT_TRUE(c.duplicate);
  EXPECT_EQ(c.msg.id, a.msg.id);
  EXPECT_EQ(c.msg.seq, 1u);
  EXPECT_EQ(c.msg.content, "hello");
  EXPECT_EQ(c.msg.client_msg_id, "m-1");
  EXPECT_EQ(history("2", core::direct_conv("1", "2"), 0, 10).messages.size(), 2u);
}

TEST_P(StoreContract, MembershipChangesCountForTheWritesAfterThemInOneBatch) {
  batch_gate gate(*s_);
  auto early = append_async(*s_, room_msg("1", "7", "before joining"));
  auto first_join = join_async(*s_, "7", "1");
  auto sent = append_async(*s_, room_msg("1", "7", "a member now"));
  auto second_join = join_async(*s_, "7", "2");
  auto left = leave_async(*s_, "7", "1");
  auto late = append_async(*s_, room_msg("1", "7", "gone"));
  auto again = join_async(*s_, "7", "2");
  gate.release();
  EXPECT_EQ(early.get().st, status::not_member);
  auto j = first_join.get();
  EXPECT_TRUE(j.joined);
  EXPECT_EQ(j.joined_seq, 0u);
  auto m = sent.get();
  EXPECT_EQ(m.st, status::ok);
  EXPECT_EQ(m.msg.seq, 1u);
  j = second_join.get();
  EXPECT_TRUE(j.joined);
  EXPECT_EQ(j.joined_seq, 1u);  // after the message before it
  EXPECT_TRUE(left.get().left);
  EXPECT_EQ(late.get().st, status::not_member);
  j = again.get();
  EXPECT_FALSE(j.joined);
  EXPECT_EQ(j.joined_seq, 1u);
  auto members = wait_for<store::members_result>([&](auto done) { s_->room_members("101", "7", done); });
  EXPECT_EQ(members.users, (std::vector<std::string>{"2"}));
}

TEST_P(StoreContract, FirstMessagesOfDirectConversationsInOneBatch) {
  auto d12 = core::direct_conv("1", "2");
  batch_gate gate(*s_);
  auto a = append_async(*s_, direct_msg("1", "2", "a"));
  auto b = append_async(*s_, direct_msg("2", "1", "b"));
  auto c = append_async(*s_, direct_msg("3", "1", "c"));
  auto d = append_async(*s_, direct_msg("1", "2", "d"));
  s_->advance_cursor("101", "2", "phone", d12, 2, {});
  s_->mark_read("101", "2", d12, 3, {});
  gate.release();
  EXPECT_EQ(a.get().msg.seq, 1u);
  EXPECT_EQ(b.get().msg.seq, 2u);
  EXPECT_EQ(c.get().msg.seq, 1u);
  EXPECT_EQ(d.get().msg.seq, 3u);
  // Both ends of each conversation became members.
  EXPECT_EQ(sync("1").convs.size(), 2u);
  EXPECT_EQ(sync("3").convs.size(), 1u);
  auto s2 = sync("2", "phone");
  ASSERT_EQ(s2.convs.size(), 1u);
  EXPECT_EQ(seqs(s2.missed), (std::vector<std::uint64_t>{3}));
  auto r = wait_for<store::conversations_result>([&](auto done) { s_->conversations("101", "2", done); });
  ASSERT_EQ(r.convs.size(), 1u);
  EXPECT_EQ(r.convs[0].read_seq, 3u);
  r = wait_for<store::conversations_result>([&](auto done) { s_->conversations("101", "1", done); });
  ASSERT_EQ(r.convs.size(), 2u);
  for (auto& conv : r.convs) EXPECT_EQ(conv.read_seq, conv.conv == d12 ? 3u : 0u) << conv.conv;
}

// Appends with no join or leave between them, each answered for itself: a
// room message of a non-member among members' messages, a retry of a message
// stored before, two conversations interleaved, a sender's two messages in
// one conversation (its read mark takes the later), a first message, a
// retry of a message of the same batch, and cursor and read marks of
// several devices and conversations alongside.
TEST_P(StoreContract, EachAppendOfARunInOneBatchGetsItsOwnAnswer) {
  auto d12 = core::direct_conv("1", "2"), d34 = core::direct_conv("3", "4"), r7 = core::room_conv("7");
  join("7", "1");
  ASSERT_EQ(send("1", "2", "old", "m-old").msg.seq, 1u);
  std::vector<std::future<store::append_result>> f;
  {
    batch_gate gate(*s_);
    f.push_back(append_async(*s_, room_msg("1", "7", "r1")));
    f.push_back(append_async(*s_, room_msg("5", "7", "not a member")));
    f.push_back(append_async(*s_, direct_msg("1", "2", "old, sent again", "m-old")));
    f.push_back(append_async(*s_, direct_msg("2", "1", "y")));
    f.push_back(append_async(*s_, room_msg("1", "7", "r2")));
    f.push_back(append_async(*s_, direct_msg("1", "2", "z", "m-new")));
    f.push_back(append_async(*s_, direct_msg("3", "4", "first")));
    f.push_back(append_async(*s_, direct_msg("1", "2", "z, sent again", "m-new")));
    f.push_back(append_async(*s_, direct_msg("1", "2", "after")));
    s_->advance_cursor("101", "2", "phone", d12, 3, {});
    s_->advance_cursor("101", "2", "laptop", d12, 1, {});
    s_->advance_cursor("101", "4", "phone", d34, 1, {});
    s_->mark_read("101", "2", d12, 2, {});
    s_->mark_read("101", "1", r7, 1, {});
    gate.release();
  }
  std::vector<store::append_result> r;
  for (auto& x : f) r.push_back(x.get());
  EXPECT_EQ(r[0].st, status::ok);
  EXPECT_EQ(r[0].msg.seq, 1u);
  EXPECT_EQ(r[1].st, status::not_member);
  EXPECT_TRUE(r[2].duplicate);
  EXPECT_EQ(r[2].msg.seq, 1u);
  EXPECT_EQ(r[2].msg.content, "old");
  EXPECT_EQ(r[3].msg.seq, 2u);
  EXPECT_EQ(r[4].msg.seq, 2u);
  EXPECT_EQ(r[5].msg.seq, 3u);
  EXPECT_FALSE(r[5].duplicate);
  EXPECT_EQ(r[6].msg.seq, 1u);
  EXPECT_TRUE(r[7].duplicate);
  EXPECT_EQ(r[7].msg.id, r[5].msg.id);
  EXPECT_EQ(r[7].msg.content, "z");
  EXPECT_EQ(r[8].st, status::ok);
  EXPECT_FALSE(r[8].duplicate);
  EXPECT_EQ(r[8].msg.seq, 4u);
  for (std::size_t i : {0u, 3u, 4u, 5u, 6u, 8u}) {
    EXPECT_EQ(r[i].st, status::ok) << i;
    EXPECT_FALSE(r[i].duplicate) << i;
    EXPECT_EQ(r[i].msg.id.size(), 16u) << i;
  }
  auto h = history("2", d12, 0, 10).messages;
  ASSERT_EQ(h.size(), 4u);
  std::vector<std::string> texts;
  for (auto it = h.rbegin(); it != h.rend(); ++it) texts.push_back(it->content);
  EXPECT_EQ(texts, (std::vector<std::string>{"old", "y", "z", "after"}));
  EXPECT_EQ(history("1", r7, 0, 10).messages.size(), 2u);
  // Cursors: each device from its own mark.
  EXPECT_EQ(seqs(sync("2", "phone").missed), (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(seqs(sync("2", "laptop").missed), (std::vector<std::uint64_t>{2, 3, 4}));
  EXPECT_TRUE(sync("4", "phone").missed.empty());
  EXPECT_EQ(seqs(sync("4", "tablet").missed), (std::vector<std::uint64_t>{1}));  // a member from the first message
  // Read marks: own messages, and the marks set.
  EXPECT_EQ(read_marks("1"), (std::map<std::string, std::uint64_t>{{d12, 4}, {r7, 2}}));
  EXPECT_EQ(read_marks("2"), (std::map<std::string, std::uint64_t>{{d12, 2}}));
  EXPECT_EQ(read_marks("3"), (std::map<std::string, std::uint64_t>{{d34, 1}}));
}

// Many senders in one batch, two of them with two messages and one in a
// room too: every sender's mark is its own newest message in each of its
// conversations, and nobody else's moves.
TEST_P(StoreContract, ASendersReadMarkIsItsNewestMessageInABatchOfMany) {
  constexpr int senders = 40;
  join("7", "u20");
  std::vector<std::future<store::append_result>> f;
  {
    batch_gate gate(*s_);
    for (int i = 0; i < senders; ++i) {
      f.push_back(append_async(*s_, direct_msg("u" + std::to_string(i), "p" + std::to_string(i), "a")));
      if (i == 5 || i == 33) f.push_back(append_async(*s_, direct_msg("u" + std::to_string(i), "p" + std::to_string(i), "b")));
      if (i == 20) f.push_back(append_async(*s_, room_msg("u20", "7", "r")));
    }
    gate.release();
  }
  for (auto& x : f) ASSERT_EQ(x.get().st, status::ok);
  for (int i = 0; i < senders; ++i) {
    auto u = "u" + std::to_string(i), peer = "p" + std::to_string(i);
    auto conv = core::direct_conv(u, peer);
    std::map<std::string, std::uint64_t> want{{conv, i == 5 || i == 33 ? 2u : 1u}};
    if (i == 20) want[core::room_conv("7")] = 1;
    EXPECT_EQ(read_marks(u), want) << u;
    EXPECT_EQ(read_marks(peer), (std::map<std::string, std::uint64_t>{{conv, 0}})) << peer;
  }
}

namespace {
// PostgreSQL joins the suite when CHORUS_TEST_POSTGRES names a server
// (scripts/test starts one); each test gets a database of its own.
// The conninfo of the test database named after `path`.
std::string postgres_conninfo(const std::string& path) {
  return std::string(std::getenv("CHORUS_TEST_POSTGRES")) + " dbname=chorus_" +  // a repeated keyword: the last one wins
         std::to_string(std::hash<std::string>{}(path) % 1000000000);
}

std::unique_ptr<store::store> open_postgres(const std::string& path, unsigned node_id = 0) {
  store::postgres::options o;
  o.conninfo = postgres_conninfo(path);
  o.node_id = node_id;
  return std::make_unique<store::postgres::postgres_store>(o);
}

// A fresh database for `path`, and a store on it.
std::unique_ptr<store::store> create_postgres(const std::string& path) {
  auto name = "chorus_" + std::to_string(std::hash<std::string>{}(path) % 1000000000);
  {
    store::postgres::connection c(std::getenv("CHORUS_TEST_POSTGRES"));
    c.exec(("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").c_str());
    c.exec(("CREATE DATABASE " + name).c_str());
  }
  return open_postgres(path);
}

std::vector<factory> stores() {
  std::vector<factory> all{
      {"memory", [](const std::string&) { return std::make_unique<store::memory_store>(); }},
      {"sqlite", [](const std::string& path) {
         store::sqlite::options o;
         o.path = path;
         o.full_sync = false;
         return std::make_unique<store::sqlite::sqlite_store>(o);
       }}};
  if (std::getenv("CHORUS_TEST_POSTGRES")) all.push_back({"postgres", [](const std::string& path) { return create_postgres(path); }});
  return all;
}
}  // namespace

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, ::testing::ValuesIn(stores()),
                         [](const auto& param_info) { return param_info.param.name; });

// Durability and ordering that only a real store can show.
class SqliteStore : public ::testing::Test {
 protected:
  std::string path_ = (std::filesystem::temp_directory_path() /
                       ("chorus-sqlite-" + std::to_string(::getpid()) + ".db"))
                          .string();
  void TearDown() override {
    for (auto ext : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + ext);
  }
  std::atomic<std::uint64_t> batches_{0};
  std::unique_ptr<store::sqlite::sqlite_store> open() {
    store::sqlite::options o;
    o.path = path_;
    o.on_batch = [this](std::size_t, double, bool) { ++batches_; };
    return std::make_unique<store::sqlite::sqlite_store>(o);
  }
  // Appends n messages from 1 to 2 to `conv`, one at a time.
  static void append_n(store::store& s, const std::string& conv, int n) {
    for (int i = 0; i < n; ++i) {
      store::append_request r;
      r.msg = {"101", conv, 0, "", "", "1", "2", "0", "text", "x", 0};
      wait_for<store::append_result>([&](auto done) { s.append(std::move(r), done); });
    }
  }
};

TEST_F(SqliteStore, MessagesSurviveReopenAndSequencesContinue) {
  auto conv = core::direct_conv("1", "2");
  {
    auto s = open();
    for (int i = 0; i < 3; ++i) {
      store::append_request r;
      r.msg = {"101", conv, 0, "", "c" + std::to_string(i), "1", "2", "0", "text", "x", 0};
      wait_for<store::append_result>([&](auto done) { s->append(std::move(r), done); });
    }
  }
  auto s = open();
  store::append_request r;
  r.msg = {"101", conv, 0, "", "c0", "1", "2", "0", "text", "x", 0};
  auto dup = wait_for<store::append_result>([&](auto done) { s->append(std::move(r), done); });
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.msg.seq, 1u);
  r = {};
  r.msg = {"101", conv, 0, "", "c9", "1", "2", "0", "text", "x", 0};
  EXPECT_EQ(wait_for<store::append_result>([&](auto done) { s->append(std::move(r), done); }).msg.seq, 4u);
}

TEST_F(SqliteStore, ACursorIsCommittedWhenItsCallbackRuns) {
  auto conv = core::direct_conv("1", "2");
  auto first = open();
  append_n(*first, conv, 3);
  auto st = wait_for<store::status>([&](auto done) { first->advance_cursor("101", "2", "d", conv, 2, done); });
  EXPECT_EQ(st, status::ok);
  // No flush: a second process (here, a second store on the same file) sees
  // what the callback promised.
  auto s = open();
  store::sync_request q{"101", "2", "d", {}, 10};
  auto res = wait_for<store::sync_result>([&](auto done) { s->sync(std::move(q), done); });
  ASSERT_EQ(res.missed.size(), 1u);
  EXPECT_EQ(res.missed[0].seq, 3u);
}

TEST_F(SqliteStore, AMarkWithoutCallbackIsHeldBackButNeverStuck) {
  // Marks nobody waits for are held back to share later transactions; with
  // no later write at all they still commit, and a read on this store sees
  // them at once (read-your-writes), a closing session's at once too.
  auto conv = core::direct_conv("1", "2");
  auto s = open();
  append_n(*s, conv, 3);
  s->advance_cursor("101", "2", "d", conv, 1, {});
  store::sync_request q{"101", "2", "d", {}, 10};
  auto mine = wait_for<store::sync_result>([&](auto done) { s->sync(q, done); });
  ASSERT_EQ(mine.missed.size(), 2u);
  EXPECT_EQ(mine.missed[0].seq, 2u);

  // Nothing else happens: another connection sees the next mark commit.
  s->advance_cursor("101", "2", "d", conv, 2, {});
  // What another connection sees committed, once it reaches `want` (5 s at most).
  auto committed_seq = [&](std::uint64_t want) {
    std::uint64_t seen = 0;
    for (int i = 0; i < 500 && seen < want; ++i) {
      store::sqlite::connection db(path_, true);
      store::sqlite::statement sel(db, "SELECT seq FROM cursors WHERE user='2' AND device='d'");
      seen = sel.step() ? sel.uint64(0) : 0;
      if (seen < want) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return seen;
  };
  EXPECT_EQ(committed_seq(2), 2u) << "a held mark never committed";

  s->advance_cursor("101", "2", "d", conv, 3, {});
  s->expedite_marks();
  EXPECT_EQ(committed_seq(3), 3u);
}

TEST_F(SqliteStore, TheIdempotencyLookupUsesItsIndex) {
  // A full scan here made every sendmsg with a msgId cost the whole history.
  auto s = open();
  s.reset();
  store::sqlite::connection db(path_, true);
  store::sqlite::statement plan(db, ("EXPLAIN QUERY PLAN " + store::sqlite::find_idem_sql()).c_str());
  std::string detail;
  while (plan.step()) detail += plan.text(3) + "\n";
  EXPECT_NE(detail.find("USING INDEX messages_idem"), std::string::npos) << detail;
}

TEST_F(SqliteStore, CallbacksRunInCommitOrder) {
  auto s = open();
  auto conv = core::direct_conv("1", "2");
  std::mutex mu;
  std::vector<std::uint64_t> order;
  std::promise<void> all;
  constexpr int n = 300;
  for (int i = 0; i < n; ++i) {
    store::append_request r;
    r.msg = {"101", conv, 0, "", "", "1", "2", "0", "text", "x", 0};
    s->append(std::move(r), [&](store::append_result res) {
      std::lock_guard lock(mu);
      order.push_back(res.msg.seq);
      if (order.size() == n) all.set_value();
    });
  }
  all.get_future().wait();
  for (int i = 0; i < n; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], static_cast<std::uint64_t>(i + 1));
  // Group commit: fewer transactions than messages once writes queue up.
  EXPECT_LT(batches_.load(), static_cast<std::uint64_t>(n));
}

// Several nodes on one PostgreSQL database: one conversation's sequence stays
// gap-free and unique although two stores (two writer connections) append to
// it at once.
TEST(PostgresStore, TwoNodesWritingOneConversationGetGapFreeUniqueSeqs) {
  if (!std::getenv("CHORUS_TEST_POSTGRES")) GTEST_SKIP() << "CHORUS_TEST_POSTGRES not set (scripts/test sets it)";
  auto first = create_postgres("two-nodes");
  auto second = open_postgres("two-nodes", 2);
  std::mutex mu;
  std::set<std::uint64_t> seqs;
  std::set<std::string> ids;
  auto conv = core::direct_conv("1", "2");
  auto writer = [&](store::store* s, int n) {
    for (int i = 0; i < n; ++i) {
      store::append_request r;
      r.msg = {"101", conv, 0, "", "", "1", "2", "0", "text", "x", 0};
      auto res = wait_for<store::append_result>([&](auto done) { s->append(std::move(r), done); });
      ASSERT_EQ(res.st, status::ok);
      std::lock_guard lock(mu);
      seqs.insert(res.msg.seq);
      ids.insert(res.msg.id);
    }
  };
  std::thread a(writer, first.get(), 100), b(writer, second.get(), 100), c(writer, first.get(), 100);
  a.join();
  b.join();
  c.join();
  ASSERT_EQ(seqs.size(), 300u);
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), 300u);
  EXPECT_EQ(ids.size(), 300u);
}

// Two nodes whose batches meet two conversations in opposite orders. Had
// each append locked its conversation where it came in its batch, each
// batch would hold one lock and wait for the other's: a deadlock, and one
// batch failed.
TEST(PostgresStore, BatchesMeetingConversationsInOppositeOrdersDoNotDeadlock) {
  if (!std::getenv("CHORUS_TEST_POSTGRES")) GTEST_SKIP() << "CHORUS_TEST_POSTGRES not set (scripts/test sets it)";
  auto first = create_postgres("opposite-orders");
  auto second = open_postgres("opposite-orders", 2);
  auto batch = [](store::store& s, const std::string& a, const std::string& b, const std::string& filler) {
    std::vector<std::future<store::append_result>> out;
    out.push_back(append_async(s, direct_msg("x", a, "first")));
    // Long enough for the two batches to overlap.
    for (int i = 0; i < 100; ++i) out.push_back(append_async(s, direct_msg(filler + std::to_string(i), "y", "")));
    out.push_back(append_async(s, direct_msg("x", b, "last")));
    return out;
  };
  constexpr int rounds = 3;
  for (int round = 0; round < rounds; ++round) {
    batch_gate gate1(*first), gate2(*second);
    auto one = batch(*first, "a", "b", "f");
    auto two = batch(*second, "b", "a", "g");
    gate1.release();
    gate2.release();
    for (auto* results : {&one, &two})
      for (auto& f : *results) ASSERT_EQ(f.get().st, status::ok) << "round " << round;
  }
  auto h = wait_for<store::history_result>([&](auto done) {
    first->history({"101", "x", core::direct_conv("x", "a"), 0, 100}, done);
  });
  EXPECT_EQ(seqs(h.messages).size(), 2u * rounds);
  EXPECT_EQ(h.messages.front().seq, 2u * rounds);
}

// A write that fails in the middle of a batch (here a trigger refuses it)
// fails the whole batch: every write gets status::error, nothing of it is
// kept, and the next batch runs as if it had never been.
TEST(PostgresStore, AFailedBatchKeepsNothing) {
  if (!std::getenv("CHORUS_TEST_POSTGRES")) GTEST_SKIP() << "CHORUS_TEST_POSTGRES not set (scripts/test sets it)";
  auto s = create_postgres("failed-batch");
  {
    store::postgres::connection c(postgres_conninfo("failed-batch"));
    c.exec("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
           "IF NEW.content = 'refused' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$");
    c.exec("CREATE TRIGGER refuse BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse()");
  }
  auto d12 = core::direct_conv("1", "2");
  {
    batch_gate gate(*s);
    auto joined = join_async(*s, "7", "1");
    auto kept = append_async(*s, direct_msg("1", "2", "fine", "m-1"));
    auto refused = append_async(*s, direct_msg("1", "2", "refused", "m-2"));
    auto after = append_async(*s, direct_msg("1", "3", "after"));
    auto cursor = fulfil<status>();
    s->advance_cursor("101", "2", "d", d12, 1, std::move(cursor.first));
    gate.release();
    EXPECT_EQ(joined.get().st, status::error);
    EXPECT_EQ(kept.get().st, status::error);
    EXPECT_EQ(refused.get().st, status::error);
    EXPECT_EQ(after.get().st, status::error);
    EXPECT_EQ(cursor.second.get(), status::error);
  }
  auto again = append_async(*s, direct_msg("1", "2", "fine", "m-1")).get();
  EXPECT_EQ(again.st, status::ok);
  EXPECT_FALSE(again.duplicate);
  EXPECT_EQ(again.msg.seq, 1u);
  EXPECT_TRUE(join_async(*s, "7", "1").get().joined);
  store::sync_request q{"101", "3", "d", {}, 10};
  EXPECT_TRUE(wait_for<store::sync_result>([&](auto done) { s->sync(std::move(q), done); }).convs.empty());
}

// A pipeline is one transaction without BEGIN or COMMIT (the writer sends
// neither): a failure at its commit is reported by commit(), and a pipeline
// left before its sync (a send failed) keeps nothing of what it queued.
TEST(PostgresStore, APipelineCommitsAtItsSyncOrKeepsNothing) {
  if (!std::getenv("CHORUS_TEST_POSTGRES")) GTEST_SKIP() << "CHORUS_TEST_POSTGRES not set (scripts/test sets it)";
  auto s = create_postgres("pipeline-commit");
  store::postgres::connection c(postgres_conninfo("pipeline-commit"));
  // Checked at the commit, not at the insert.
  c.exec("CREATE TABLE t(x int UNIQUE DEFERRABLE INITIALLY DEFERRED)");
  c.prepare("rows", "SELECT x FROM t ORDER BY x");
  auto rows = [&] {
    std::vector<std::int64_t> out;
    auto r = c.run("rows");
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.int64(i, 0));
    return out;
  };
  {
    store::postgres::pipeline p(c);
    p.send_sql("INSERT INTO t VALUES (1)");
    p.send_sql("INSERT INTO t VALUES (2)");
    p.sync();
    p.next();
    p.next();
    p.commit();
  }
  EXPECT_EQ(rows(), (std::vector<std::int64_t>{1, 2}));
  {
    store::postgres::pipeline p(c);
    p.send_sql("INSERT INTO t VALUES (3)");
    p.send_sql("INSERT INTO t VALUES (1)");  // a duplicate, found at the commit
    p.sync();
    p.next();
    p.next();
    EXPECT_THROW(p.commit(), store::postgres::pg_error);
  }
  EXPECT_EQ(rows(), (std::vector<std::int64_t>{1, 2}));
  {
    store::postgres::pipeline p(c);
    p.send_sql("INSERT INTO t VALUES (4)");
    // Left here, as when a send throws.
  }
  EXPECT_EQ(rows(), (std::vector<std::int64_t>{1, 2}));
  (void)s;
}

// PostgreSQL restarted, or the store's backends ended: libpq keeps a lost
// connection lost, and every later write and read failed, every login of
// the node closed 1011, until the node itself restarted. The store opens its
// connections again: a read at once (it is run again), a write from the
// next batch on (the one that met the loss fails: its commit is unknown).
TEST(PostgresStore, AStoreComesBackWhenItsConnectionsAreCut) {
  if (!std::getenv("CHORUS_TEST_POSTGRES")) GTEST_SKIP() << "CHORUS_TEST_POSTGRES not set (scripts/test sets it)";
  auto s = create_postgres("reconnect");
  ASSERT_EQ(append_async(*s, direct_msg("1", "2", "before")).get().msg.seq, 1u);
  store::postgres::connection c(postgres_conninfo("reconnect"));
  c.prepare("cut", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                   "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  auto cut = [&] { return c.run("cut").int64(0, 0); };
  ASSERT_GE(cut(), 3);  // the writer's connection and the reader's two

  store::sync_request q{"101", "2", "d", {}, 10};
  auto r = wait_for<store::sync_result>([&](auto done) { s->sync(q, done); });
  ASSERT_EQ(r.st, status::ok);
  EXPECT_EQ(seqs(r.missed), (std::vector<std::uint64_t>{1}));
  auto h = wait_for<store::history_result>([&](auto done) {
    s->history({"101", "1", core::direct_conv("1", "2"), 0, 10}, done);
  });
  EXPECT_EQ(h.st, status::ok);
  EXPECT_EQ(h.messages.size(), 1u);

  auto first = append_async(*s, direct_msg("1", "2", "meets the loss", "m-1")).get();
  auto again = append_async(*s, direct_msg("1", "2", "meets the loss", "m-1")).get();  // the client's retry
  ASSERT_EQ(again.st, status::ok);
  EXPECT_EQ(again.msg.seq, 2u);
  EXPECT_EQ(again.duplicate, first.st == status::ok);
  EXPECT_EQ(append_async(*s, direct_msg("2", "1", "after")).get().msg.seq, 3u);

  cut();  // and once more, idle this time
  EXPECT_EQ(seqs(wait_for<store::sync_result>([&](auto done) { s->sync(q, done); }).missed),
            (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST(PostgresStore, TextArraysReachTheServerIntact) {
  if (!std::getenv("CHORUS_TEST_POSTGRES")) GTEST_SKIP() << "CHORUS_TEST_POSTGRES not set (scripts/test sets it)";
  store::postgres::connection c(std::getenv("CHORUS_TEST_POSTGRES"));
  c.prepare("items", "SELECT item FROM unnest($1::text[]) WITH ORDINALITY AS t(item, i) ORDER BY i");
  std::vector<std::string> items{"d:1|2", "", "NULL", "a,b", "{x}", "say \"hi\"", "back\\slash", " spaced "};
  auto r = c.run("items", store::postgres::text_array(items));
  ASSERT_EQ(r.rows(), static_cast<int>(items.size()));
  for (int i = 0; i < r.rows(); ++i) EXPECT_EQ(r.text(i, 0), items[static_cast<std::size_t>(i)]);
  EXPECT_EQ(c.run("items", store::postgres::text_array({})).rows(), 0);
}

// The sync statement is planned once per connection, maybe while the tables
// are empty (a fresh cluster), and keeps that plan as they grow: the plan
// must be the one it gets on grown tables, every lookup by key (the earlier
// statement, so kept, looked members up by app alone, or scanned them, ever
// more slowly; it fails this test, and passed only when planned afresh at
// every execution).
TEST(PostgresStore, TheSyncKeepsAPlanThatLooksUpByKey) {
  if (!std::getenv("CHORUS_TEST_POSTGRES")) GTEST_SKIP() << "CHORUS_TEST_POSTGRES not set (scripts/test sets it)";
  auto s = create_postgres("sync-plan");  // an empty schema
  auto conninfo = postgres_conninfo("sync-plan");
  const std::string explain =
      "EXPLAIN (COSTS OFF) EXECUTE sync('{101}', '{u1}', '{d}', '{t}', '{501}', '{\"{\\\"d:s|u1\\\": 2}\"}')";
  auto plan_of = [&](store::postgres::connection& c) {
    auto r = c.run("explain");
    std::string text;
    for (int i = 0; i < r.rows(); ++i) text += r.text(i, 0) + "\n";
    return text;
  };
  auto prepared = [&](store::postgres::connection& c) {
    store::postgres::reader::configure_sync(c);
    c.prepare("sync", store::postgres::reader::sync_sql().c_str());
    c.prepare("explain", explain.c_str());
  };
  store::postgres::connection early(conninfo);
  prepared(early);
  for (int i = 0; i < 10; ++i) plan_of(early);  // past the five runs after which a plan may be kept
  early.exec("INSERT INTO members SELECT '101', 'u' || i, 'd:s|u' || i, 0 FROM generate_series(1, 20000) i");
  early.exec("INSERT INTO members SELECT '101', 's', 'd:s|u' || i, 0 FROM generate_series(1, 20000) i");
  early.exec("INSERT INTO cursors SELECT '101', 'u' || i, 'd', 'd:s|u' || i, 1 FROM generate_series(1, 20000) i");
  early.exec("INSERT INTO messages SELECT '101', 'd:s|u' || i, j, 'id', 's', '', 'u' || i, '0', 'text', 'x', 0 "
             "FROM generate_series(1, 20000) i, generate_series(1, 5) j");
  store::postgres::connection late(conninfo);
  prepared(late);
  auto now = plan_of(early);
  EXPECT_EQ(now, plan_of(late)) << "the plan made on the empty tables is another";
  EXPECT_EQ(now.find("Seq Scan"), std::string::npos) << now;
  EXPECT_EQ(now.find("Hash"), std::string::npos) << now;
  for (const char* index : {"members_pkey", "cursors_pkey", "messages_pkey"})
    EXPECT_NE(now.find(index), std::string::npos) << index << "\n" << now;
  (void)s;
}

// A user in many busy conversations: the sync statement sends a page of
// messages per request (plus one row per conversation past it, to place
// them all), not a page per conversation, whatever a batch of such users.
TEST(PostgresStore, ASyncSendsAPagePerRequestNotPerConversation) {
  if (!std::getenv("CHORUS_TEST_POSTGRES")) GTEST_SKIP() << "CHORUS_TEST_POSTGRES not set (scripts/test sets it)";
  auto s = create_postgres("sync-page");
  for (int peer = 1; peer <= 6; ++peer)
    for (int k = 0; k < 10; ++k) append_async(*s, direct_msg(std::to_string(peer), "9", "m")).get();
  store::postgres::connection c(postgres_conninfo("sync-page"));
  store::postgres::reader::configure_sync(c);
  c.prepare("sync", store::postgres::reader::sync_sql().c_str());
  // Two requests for user 9, pages of 4 (3 + 1 to tell "more").
  auto rows = c.run("sync", "{101,101}", "{9,9}", "{d,e}", "{t,t}", "{4,4}", R"({"{}","{}"})");
  std::map<std::int64_t, std::set<std::string>> convs;
  std::map<std::int64_t, int> messages;
  for (int i = 0; i < rows.rows(); ++i) {
    convs[rows.int64(i, 0)].insert(rows.text(i, 1));
    if (!rows.null(i, 3)) ++messages[rows.int64(i, 0)];
  }
  for (std::int64_t req : {1, 2}) {
    EXPECT_EQ(convs[req].size(), 6u) << "every conversation placed";
    EXPECT_LE(messages[req], 4 + 5) << "a page, and a row for each of the other conversations";
  }
  EXPECT_LE(rows.rows(), 2 * (4 + 5));
}

namespace {
// A reader whose first sync blocks until released (so that the syncs after
// it queue up), whose sync answers with the request's user, and whose
// sync_many records each call and fails or answers as told.
struct held_reader final : store::query_reader {
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  bool first = true, fail_many = false;
  std::vector<std::size_t> many_sizes;  // one entry per sync_many call
  std::vector<std::string> alone;       // users read by sync(), in order
  store::sync_result answer(const store::sync_request& r, const char* how) {
    store::sync_result res;
    res.convs.push_back({r.user + how, 0});
    return res;
  }
  store::sync_result sync(const store::sync_request& r) override {
    if (std::exchange(first, false)) {
      entered.set_value();
      released.wait();
    }
    alone.push_back(r.user);
    return answer(r, "/alone");
  }
  std::vector<store::sync_result> sync_many(std::span<const store::sync_request* const> rs) override {
    many_sizes.push_back(rs.size());
    if (fail_many) throw std::runtime_error("the batch failed");
    std::vector<store::sync_result> out;
    for (auto* r : rs) out.push_back(answer(*r, "/together"));
    return out;
  }
  store::history_result history(const store::history_request&) override { return {}; }
  store::conversations_result conversations(const std::string&, const std::string&) override { return {}; }
  store::members_result room_members(const std::string&, const std::string&) override { return {}; }
  store::rooms_result rooms(const std::string&) override { return {}; }
};
struct no_writer final : store::batch_writer {
  bool run(std::vector<store::write_op>&, const store::cursor_map&, const store::read_map&) override { return true; }
};

// Issues a sync for user "0" (the reader holds it), then for users 1..n
// while it is held; returns each one's answer (its convs[0].conv).
std::vector<std::string> syncs_behind_a_held_one(held_reader* r, store::threaded_store& s, int n) {
  std::vector<std::future<store::sync_result>> got;
  for (int i = 0; i <= n; ++i) {
    auto [done, f] = fulfil<store::sync_result>();
    s.sync({"101", std::to_string(i), "d", {}, 10, true}, std::move(done));
    got.push_back(std::move(f));
    if (i == 0) r->entered.get_future().wait();
  }
  r->release.set_value();
  std::vector<std::string> out;
  for (auto& f : got) {
    auto res = f.get();
    out.push_back(res.convs.empty() ? "" : res.convs[0].conv);
  }
  return out;
}
}  // namespace

TEST(ThreadedStore, SyncsQueuedTogetherAreReadTogetherInOrder) {
  auto reader = std::make_unique<held_reader>();
  auto* r = reader.get();
  store::threaded_store s(std::make_unique<no_writer>(), std::move(reader), 10, {});
  auto got = syncs_behind_a_held_one(r, s, 5);
  EXPECT_EQ(got, (std::vector<std::string>{"0/alone", "1/together", "2/together", "3/together", "4/together",
                                           "5/together"}));
  EXPECT_EQ(r->many_sizes, (std::vector<std::size_t>{5}));
}

TEST(ThreadedStore, ABatchThatFailsIsReadAgainOneByOne) {
  auto reader = std::make_unique<held_reader>();
  auto* r = reader.get();
  r->fail_many = true;
  store::threaded_store s(std::make_unique<no_writer>(), std::move(reader), 10, {});
  auto got = syncs_behind_a_held_one(r, s, 3);
  EXPECT_EQ(got, (std::vector<std::string>{"0/alone", "1/alone", "2/alone", "3/alone"}));
  EXPECT_EQ(r->many_sizes, (std::vector<std::size_t>{3}));
  EXPECT_EQ(r->alone, (std::vector<std::string>{"0", "1", "2", "3"}));
}

TEST_F(SqliteStore, SqliteKeepsNoMemoryStatistics) {
  // With statistics on (SQLite's default), every allocation of every
  // statement takes a process-wide mutex to count itself.
  auto s = open();
  append_n(*s, "d:1|2", 20);
  EXPECT_TRUE(store::sqlite::configure_library()) << "SQLite was initialized before its options were set";
  EXPECT_EQ(sqlite3_memory_used(), 0) << "SQLite counts its memory";
}

TEST_F(SqliteStore, TheWalIsCheckpointedOffTheWriterWhileOpen) {
  // The writer turns SQLite's in-commit checkpoint off; its checkpointer
  // thread must still move the WAL into the database file while the store
  // runs (without it, the file would stay at its empty schema until close).
  auto s = open();
  auto conv = core::direct_conv("1", "2");
  const std::string big(4000, 'x');  // about a page per message
  constexpr int n = 3000;            // three times the checkpoint threshold
  std::promise<void> all;
  std::atomic<int> left{n};
  for (int i = 0; i < n; ++i) {
    store::append_request r;
    r.msg = {"101", conv, 0, "", "", "1", "2", "0", "text", big, 0};
    s->append(std::move(r), [&](store::append_result res) {
      EXPECT_EQ(res.st, status::ok);
      if (left.fetch_sub(1) == 1) all.set_value();
    });
  }
  all.get_future().wait();
  std::uintmax_t size = 0;
  for (int i = 0; i < 200 && size < 4u * 1024 * 1024; ++i) {
    size = std::filesystem::file_size(path_);
    if (size < 4u * 1024 * 1024) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(size, 4u * 1024 * 1024) << "the database file did not grow: no checkpoint ran";
  store::sync_request q{"101", "2", "d", {}, 5000};
  auto res = wait_for<store::sync_result>([&](auto done) { s->sync(std::move(q), done); });
  EXPECT_EQ(res.missed.size(), static_cast<std::size_t>(n));
}

// A VFS in front of SQLite's own that counts syncs of main database files
// by thread, to see which thread pays for them.
class sync_counting_vfs {
 public:
  sync_counting_vfs() {
    // sqlite3_vfs_find initializes SQLite: its options first, as a store would.
    store::sqlite::configure_library();
    base_ = sqlite3_vfs_find(nullptr);
    vfs_ = *base_;
    vfs_.zName = "chorus-test-sync-counting";
    vfs_.szOsFile = static_cast<int>(sizeof(file)) + base_->szOsFile;
    vfs_.pAppData = this;
    vfs_.xOpen = &open;
    sqlite3_vfs_register(&vfs_, 1);  // the default while it lives
  }
  ~sync_counting_vfs() { sqlite3_vfs_unregister(&vfs_); }
  // Syncs of main database files made on threads other than `writer`.
  int database_syncs_off(std::thread::id writer) {
    std::lock_guard lock(mu_);
    int n = 0;
    for (auto& [id, count] : database_syncs_) n += id == writer ? 0 : count;
    return n;
  }

 private:
  struct file {
    sqlite3_file base;
    sync_counting_vfs* vfs;
    bool main_db;
    sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
  };
  static file* of(sqlite3_file* f) { return reinterpret_cast<file*>(f); }
  static int open(sqlite3_vfs* v, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
    auto* self = static_cast<sync_counting_vfs*>(v->pAppData);
    auto* mine = of(f);
    mine->vfs = self;
    mine->main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
    mine->base.pMethods = nullptr;
    int rc = self->base_->xOpen(self->base_, name, mine->real(), flags, out);
    if (rc != SQLITE_OK) {
      if (mine->real()->pMethods) mine->real()->pMethods->xClose(mine->real());
      return rc;
    }
    if (mine->real()->pMethods) {
      // One table for every file: each entry calls the file's own method,
      // whatever table the base VFS gave it (files open on several threads).
      std::call_once(self->methods_once_, [&] {
        self->methods_ = *mine->real()->pMethods;
        self->methods_.iVersion = 3;
        self->methods_.xSync = &sync;
        self->methods_.xClose = &close;
        forward(self->methods_);
      });
      mine->base.pMethods = &self->methods_;
    }
    return rc;
  }
  static int sync(sqlite3_file* f, int flags) {
    auto* mine = of(f);
    if (mine->main_db) {
      std::lock_guard lock(mine->vfs->mu_);
      ++mine->vfs->database_syncs_[std::this_thread::get_id()];
    }
    return mine->real()->pMethods->xSync(mine->real(), flags);
  }
  static int close(sqlite3_file* f) { return of(f)->real()->pMethods->xClose(of(f)->real()); }
  // Every other method calls the real file's.
  static void forward(sqlite3_io_methods& m) {
    m.xRead = [](sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return of(f)->real()->pMethods->xRead(of(f)->real(), b, n, o); };
    m.xWrite = [](sqlite3_file* f, const void* b, int n, sqlite3_int64 o) { return of(f)->real()->pMethods->xWrite(of(f)->real(), b, n, o); };
    m.xTruncate = [](sqlite3_file* f, sqlite3_int64 s) { return of(f)->real()->pMethods->xTruncate(of(f)->real(), s); };
    m.xFileSize = [](sqlite3_file* f, sqlite3_int64* s) { return of(f)->real()->pMethods->xFileSize(of(f)->real(), s); };
    m.xLock = [](sqlite3_file* f, int l) { return of(f)->real()->pMethods->xLock(of(f)->real(), l); };
    m.xUnlock = [](sqlite3_file* f, int l) { return of(f)->real()->pMethods->xUnlock(of(f)->real(), l); };
    m.xCheckReservedLock = [](sqlite3_file* f, int* r) { return of(f)->real()->pMethods->xCheckReservedLock(of(f)->real(), r); };
    m.xFileControl = [](sqlite3_file* f, int op, void* a) { return of(f)->real()->pMethods->xFileControl(of(f)->real(), op, a); };
    m.xSectorSize = [](sqlite3_file* f) { return of(f)->real()->pMethods->xSectorSize(of(f)->real()); };
    m.xDeviceCharacteristics = [](sqlite3_file* f) { return of(f)->real()->pMethods->xDeviceCharacteristics(of(f)->real()); };
    m.xShmMap = [](sqlite3_file* f, int i, int n, int e, void volatile** p) { return of(f)->real()->pMethods->xShmMap(of(f)->real(), i, n, e, p); };
    m.xShmLock = [](sqlite3_file* f, int o, int n, int fl) { return of(f)->real()->pMethods->xShmLock(of(f)->real(), o, n, fl); };
    m.xShmBarrier = [](sqlite3_file* f) { of(f)->real()->pMethods->xShmBarrier(of(f)->real()); };
    m.xShmUnmap = [](sqlite3_file* f, int d) { return of(f)->real()->pMethods->xShmUnmap(of(f)->real(), d); };
    m.xFetch = [](sqlite3_file* f, sqlite3_int64 o, int n, void** p) { return of(f)->real()->pMethods->xFetch(of(f)->real(), o, n, p); };
    m.xUnfetch = [](sqlite3_file* f, sqlite3_int64 o, void* p) { return of(f)->real()->pMethods->xUnfetch(of(f)->real(), o, p); };
  }

  sqlite3_vfs* base_ = nullptr;
  sqlite3_vfs vfs_{};
  sqlite3_io_methods methods_{};
  std::once_flag methods_once_;
  std::mutex mu_;
  std::map<std::thread::id, int> database_syncs_;
};

TEST_F(SqliteStore, TheCheckpointerSyncsTheDatabaseFileItCopiedInto) {
  // SQLite syncs the database file after a checkpoint only if no commit came
  // while it copied; a background checkpoint under a stream of commits left
  // its pages dirty, and the writer's own catch-up (the moment the writes
  // wait) then had to write them all out. Every run of the checkpointer
  // thread that copied pages syncs the file itself.
  sync_counting_vfs vfs;
  {
    store::sqlite::writer w(path_, false, 1);
    auto conv = core::direct_conv("1", "2");
    const std::string content(2000, 'x');
    for (int i = 0; i < 20000 && w.checkpoint_runs() < 5; ++i) {
      std::vector<store::write_op> batch;
      store::append_op op;
      op.req.msg = {"101", conv, 0, "", "", "1", "2", "0", "text", content, 0};
      batch.emplace_back(std::move(op));
      ASSERT_TRUE(w.run(batch, {}, {}));
      // No upkeep: only the checkpointer thread copies pages back.
    }
    auto runs = w.checkpoint_runs();
    ASSERT_GE(runs, 1u) << "the checkpointer never ran";
    // A run is counted after its sync returned.
    EXPECT_GE(vfs.database_syncs_off(std::this_thread::get_id()), static_cast<int>(runs))
        << "a checkpoint run left the pages it copied unsynced";
  }
}

TEST_F(SqliteStore, EveryCommitIsInTheFilesWhenItReturns) {
  // A copy of the files taken right after a commit returns (what a crash
  // of the process would leave) holds every committed message, in batches
  // of one and of many: nothing a commit wrote waits in memory. (Kept from
  // a trial of a VFS that gathered a commit's WAL frames into one write.)
  auto copy = path_ + ".copy";
  auto count_in_copy = [&] {
    for (auto ext : {"", "-wal"}) std::filesystem::copy_file(path_ + ext, copy + ext,
                                                             std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove(copy + "-shm");
    int n = -1;
    {
      store::sqlite::connection c(copy, false);
      store::sqlite::statement q(c, "SELECT count(*) FROM messages");
      if (q.step()) n = static_cast<int>(q.uint64(0));
    }
    for (auto ext : {"", "-wal", "-shm"}) std::filesystem::remove(copy + ext);
    return n;
  };
  store::sqlite::writer w(path_, false, 1);
  auto conv = core::direct_conv("1", "2");
  int stored = 0;
  for (int batch_size : {1, 1, 3, 40, 1, 200, 1}) {
    std::vector<store::write_op> batch;
    for (int i = 0; i < batch_size; ++i) {
      store::append_op op;
      op.req.msg = {"101", conv, 0, "", "", "1", "2", "0", "text", std::string(300, 'x'), 0};
      batch.emplace_back(std::move(op));
    }
    ASSERT_TRUE(w.run(batch, {}, {}));
    stored += batch_size;
    EXPECT_EQ(count_in_copy(), stored) << "after a batch of " << batch_size;
  }
}

TEST_F(SqliteStore, TheWalStartsOverUnderASteadyStreamOfCommits) {
  // One message per commit, back to back, as at a few thousand messages a
  // second: SQLite rewinds the WAL only at a transaction that finds it all
  // copied back. The checkpointer runs once per checkpoint_pages new frames
  // (not after every commit once the WAL is big), and the writer copies
  // the few frames left over itself, so the WAL keeps starting over. The
  // WAL observer (chorus_sqlite_* metrics) sees each commit, restart and
  // checkpoint that copied frames.
  std::atomic<unsigned long> checkpoints{0};
  unsigned long runs = 0;
  int commits = 0, restarts = 0, reported = -1, cap_waits = 0;
  store::sqlite::wal_observer wal;
  wal.frames = [&](int frames) { ++commits, reported = frames; };
  wal.restart = [&] { ++restarts; };
  wal.checkpoint = [&] { ++checkpoints; };
  wal.cap_wait = [&](double seconds) {
    ++cap_waits;
    EXPECT_GE(seconds, 0.0);
  };
  {
    store::sqlite::writer w(path_, false, 1, wal);
    auto conv = core::direct_conv("1", "2");
    const std::string content(2000, 'x');
    constexpr int n = 8000;  // ~4 frames each: past the cap
    int rewinds = 0, last = 0, most = 0;
    for (int i = 0; i < n; ++i) {
      std::vector<store::write_op> batch;
      store::append_op op;
      op.req.msg = {"101", conv, 0, "", "", "1", "2", "0", "text", content, 0};
      batch.emplace_back(std::move(op));
      ASSERT_TRUE(w.run(batch, {}, {}));
      w.upkeep(true);
      if (w.wal_pages() < last) ++rewinds;
      last = w.wal_pages();
      most = std::max(most, last);
    }
    // However the checkpointer thread keeps up (it may be starved on a busy
    // machine), the WAL starts over by the time it reaches the cap.
    EXPECT_GE(rewinds, 1) << "the WAL never started over";
    EXPECT_LE(most, store::sqlite::wal_cap_pages + 100) << "the WAL grew past its cap";
    // It runs back to back only from checkpoint_pages on, until few are left.
    EXPECT_LE(w.checkpoint_runs(), static_cast<unsigned long>(n / 10)) << "checkpoints ran after nearly every commit";
    EXPECT_EQ(commits, n);
    EXPECT_EQ(reported, w.wal_pages());
    EXPECT_EQ(restarts, rewinds);
    // A wait at the cap only when the WAL reached it.
    if (most < store::sqlite::wal_cap_pages) {
      EXPECT_EQ(cap_waits, 0);
    }
    runs = w.checkpoint_runs();
  }
  // Every run the checkpointer thread counted was reported (it has stopped
  // now; runs after the count, the one in flight and any it chained, came
  // on top).
  EXPECT_GE(checkpoints.load(), runs);
  // Everything is in the database, whatever the checkpoints did.
  auto s = open();
  store::sync_request q{"101", "2", "d", {}, 10000};
  auto res = wait_for<store::sync_result>([&](auto done) { s->sync(std::move(q), done); });
  EXPECT_EQ(res.missed.size(), 8000u);
}
