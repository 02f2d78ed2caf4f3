#include "storage/conversation_store.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "storage/message_store.h"
#include "storage/migrations.h"
#include "storage/mysql_connection.h"
#include "storage/storage_test_env.h"

namespace im::storage {
namespace {

internal::ConversationSeq AckOf(std::uint64_t conv, std::uint64_t seq) {
  internal::ConversationSeq a;
  a.set_conv_id(conv);
  a.set_seq(seq);
  return a;
}

internal::ConversationRef Direct(std::uint64_t user, std::uint64_t peer) {
  internal::ConversationRef ref;
  ref.set_user_id(user);
  ref.set_peer_id(peer);
  return ref;
}

class ConversationStoreTest : public ::testing::Test {
 protected:
  static std::uint64_t NewUser(const std::string& prefix) { return NewTestUser(prefix); }
  internal::AppendMessageResponse Send(std::uint64_t from, std::uint64_t to,
                                       const std::string& text) {
    auto r = messages_.AppendDirect(from, to, "", text);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(internal::AppendMessageResponse{});
  }

  UserStore users_{GetStorageTestEnv().mysql_pool.get()};
  MessageStore messages_{GetStorageTestEnv().mysql_pool.get()};
  ConversationStore conversations_{GetStorageTestEnv().mysql_pool.get()};
};

// Before a conversation and its member rows were made in one transaction, a
// creator that died between them left a conversation nobody could sync.
// Migration 008 writes the missing member rows.
TEST_F(ConversationStoreTest, AConversationLeftWithoutMembersIsRepairedByMigration8) {
  const auto a = NewUser("orphan_a"), b = NewUser("orphan_b");
  const auto sent = Send(a, b, "are you there?");
  auto lease = GetStorageTestEnv().mysql_pool->Acquire();
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE((*lease)
                  ->Execute("DELETE FROM conversation_members WHERE conv_id = ?", {sent.conv_id()})
                  .ok());
  auto before = conversations_.Sync(b, "phone", 10);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->messages_size(), 0) << "the half-made state the migration repairs";

  const auto& migrations = AllMigrations();
  auto repair = std::find_if(migrations.begin(), migrations.end(),
                             [](const Migration& m) { return m.version == 8; });
  ASSERT_NE(repair, migrations.end());
  ASSERT_TRUE((*lease)->ExecuteScript(repair->sql).ok());
  ASSERT_TRUE((*lease)->ExecuteScript(repair->sql).ok()) << "running it twice changes nothing";

  for (const auto user : {a, b}) {
    auto after = conversations_.Sync(user, "phone", 10);
    ASSERT_TRUE(after.ok()) << after.status();
    ASSERT_EQ(after->messages_size(), 1);
    EXPECT_EQ(after->messages(0).msg_id(), sent.msg_id());
  }
  auto next = messages_.AppendDirect(b, a, "", "yes");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->conv_id(), sent.conv_id());
  EXPECT_EQ(next->seq(), 2u);
}

TEST_F(ConversationStoreTest, SyncReturnsWhatIsAfterEachDeviceCursorInPages) {
  const auto a = NewUser("sync_a"), b = NewUser("sync_b"), c = NewUser("sync_c");
  for (int i = 1; i <= 5; ++i) Send(a, b, "ab" + std::to_string(i));
  const auto from_c = Send(c, b, "cb1");

  auto first = conversations_.Sync(b, "phone", 3);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->messages_size(), 3);
  EXPECT_TRUE(first->more());
  EXPECT_EQ(first->messages(0).text(), "ab1");
  EXPECT_EQ(first->messages(0).recipient().rfind("sync_b", 0), 0u);
  const std::uint64_t conv_ab = first->messages(0).conv_id();
  ASSERT_TRUE(conversations_.Ack(b, "phone", {AckOf(conv_ab, 3)}).ok());

  auto second = conversations_.Sync(b, "phone", 10);
  ASSERT_EQ(second->messages_size(), 3);  // ab4, ab5, cb1
  EXPECT_FALSE(second->more());
  EXPECT_EQ(second->messages(0).seq(), 4u);
  EXPECT_EQ(second->messages(2).msg_id(), from_c.msg_id());

  // Another device has its own cursor; acks never move a cursor back.
  EXPECT_EQ(conversations_.Sync(b, "laptop", 100)->messages_size(), 6);
  ASSERT_TRUE(conversations_.Ack(b, "phone", {AckOf(conv_ab, 5), AckOf(from_c.conv_id(), 1)}).ok());
  ASSERT_TRUE(conversations_.Ack(b, "phone", {AckOf(conv_ab, 1)}).ok());
  EXPECT_EQ(conversations_.Sync(b, "phone", 100)->messages_size(), 0);
}

TEST_F(ConversationStoreTest, SyncPagesRunAcrossManyConversationsInOrder) {
  // More conversations than one read covers, so pages cross read boundaries.
  const auto b = NewUser("many_b");
  std::vector<std::pair<std::uint64_t, std::uint64_t>> expected;  // (conv, seq) in Sync order
  for (int peer = 0; peer < 12; ++peer) {
    const auto a = NewUser("many_a");
    for (int i = 0; i < 3; ++i) {
      const auto sent = Send(a, b, "m");
      expected.emplace_back(sent.conv_id(), sent.seq());
    }
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> got;
  for (int round = 0; round < 10; ++round) {
    auto page = conversations_.Sync(b, "phone", 7);
    ASSERT_TRUE(page.ok()) << page.status();
    std::vector<internal::ConversationSeq> acks;
    for (const auto& m : page->messages()) {
      got.emplace_back(m.conv_id(), m.seq());
      acks.push_back(AckOf(m.conv_id(), m.seq()));
    }
    EXPECT_EQ(page->more(), got.size() < expected.size()) << got.size();
    if (!page->more()) break;
    EXPECT_EQ(page->messages_size(), 7);
    ASSERT_TRUE(conversations_.Ack(b, "phone", acks).ok());
  }
  EXPECT_EQ(got, expected);
}

TEST_F(ConversationStoreTest, OwnSendsMoveTheSendingDevicesCursorOnlyWhenContiguous) {
  const auto a = NewUser("own_a"), b = NewUser("own_b");
  auto send = [&](std::uint64_t from, std::uint64_t to, const std::string& device) {
    std::vector<Append> batch(1);
    batch[0].sender_id = from;
    batch[0].recipient_id = to;
    batch[0].body = "x";
    batch[0].sender_device = device;
    EXPECT_TRUE(messages_.AppendMany(batch).ok());
    EXPECT_TRUE(batch[0].result.ok()) << batch[0].result.status();
    return batch[0].result.value_or(internal::AppendMessageResponse{});
  };
  // a's phone sends 1 and 2 in one batch and 3 alone: it has seen all three.
  std::vector<Append> two(2);
  for (auto& x : two) {
    x.sender_id = a;
    x.recipient_id = b;
    x.body = "x";
    x.sender_device = "phone";
  }
  ASSERT_TRUE(messages_.AppendMany(two).ok());
  send(a, b, "phone");
  EXPECT_EQ(conversations_.Sync(a, "phone", 100)->messages_size(), 0);
  EXPECT_EQ(conversations_.Sync(a, "laptop", 100)->messages_size(), 3);  // other devices: all

  // b's message 4 is unseen by a's phone, so a's own 5 leaves the cursor at 3.
  send(b, a, "tablet");
  send(a, b, "phone");
  auto page = conversations_.Sync(a, "phone", 100);
  ASSERT_EQ(page->messages_size(), 2);
  EXPECT_EQ(page->messages(0).seq(), 4u);
  EXPECT_EQ(page->messages(1).seq(), 5u);
  // b's tablet had nothing of seqs 1..3, so its own 4 did not move it either.
  EXPECT_EQ(conversations_.Sync(b, "tablet", 100)->messages_size(), 5);
}

TEST_F(ConversationStoreTest, AcksForOthersConversationsAreIgnoredAndClampedToMaxSeq) {
  const auto a = NewUser("ack_a"), b = NewUser("ack_b"), eve = NewUser("ack_eve");
  const auto m = Send(a, b, "private");
  ASSERT_TRUE(conversations_.Ack(eve, "d", {AckOf(m.conv_id(), 100)}).ok());
  auto rows = conversations_.Sync(eve, "d", 100);
  EXPECT_EQ(rows->messages_size(), 0);  // eve is in no conversation
  ASSERT_TRUE(conversations_.Ack(b, "d", {AckOf(m.conv_id(), 100)}).ok());  // past max_seq
  Send(a, b, "next");
  auto next = conversations_.Sync(b, "d", 100);
  ASSERT_EQ(next->messages_size(), 1);  // the cursor stopped at 1, so seq 2 still arrives
  EXPECT_EQ(next->messages(0).seq(), 2u);
}

TEST_F(ConversationStoreTest, AckManyWritesEveryDeviceInOneBatch) {
  const auto a = NewUser("many_a");
  std::vector<std::uint64_t> peers;
  std::vector<std::uint64_t> convs;
  for (int i = 0; i < 70; ++i) {  // past a size class (64): two statements per step
    peers.push_back(NewUser("many_p"));
    convs.push_back(Send(a, peers.back(), "one").conv_id());
    Send(a, peers.back(), "two");
  }
  const auto eve = NewUser("many_eve");
  std::vector<DeviceAck> acks;
  for (int i = 0; i < 70; ++i) {
    acks.push_back({peers[i], "phone", convs[i], 1});
    acks.push_back({peers[i], "phone", convs[i], i % 2 == 0 ? 2u : 1u});  // highest one wins
    acks.push_back({peers[i], "tablet", convs[i], 100});                  // clamped to max_seq 2
  }
  acks.push_back({eve, "d", convs[0], 2});  // not eve's conversation: ignored
  ASSERT_TRUE(conversations_.AckMany(acks).ok());
  for (int i = 0; i < 70; ++i) {
    EXPECT_EQ(conversations_.Sync(peers[i], "phone", 10)->messages_size(), i % 2 == 0 ? 0 : 1) << i;
    EXPECT_EQ(conversations_.Sync(peers[i], "tablet", 10)->messages_size(), 0) << i;
  }
  EXPECT_EQ(conversations_.Sync(eve, "d", 10)->messages_size(), 0);
  Send(a, peers[1], "three");  // a cursor clamped to max_seq still sees what comes next
  EXPECT_EQ(conversations_.Sync(peers[1], "tablet", 10)->messages_size(), 1);
}

TEST_F(ConversationStoreTest, ListShowsLastMessageAndUnreadAndReadClearsIt) {
  const auto a = NewUser("list_a"), b = NewUser("list_b");
  Send(a, b, "one");
  Send(a, b, "two");
  Send(b, a, "three");
  auto list = conversations_.List(a);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->conversations_size(), 1);
  const auto& c = list->conversations(0);
  EXPECT_EQ(c.max_seq(), 3u);
  EXPECT_EQ(c.read_seq(), 2u);  // what a sent is read for a
  EXPECT_EQ(c.unread(), 1u);
  EXPECT_EQ(c.last_message().text(), "three");
  EXPECT_EQ(c.peer().rfind("list_b", 0), 0u);

  Send(a, b, "four");
  Send(a, b, "five");
  EXPECT_EQ(conversations_.List(b)->conversations(0).unread(), 2u);
  auto read = conversations_.MarkRead(Direct(b, a), 4);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->read_seq(), 4u);
  EXPECT_EQ(conversations_.List(b)->conversations(0).unread(), 1u);
  ASSERT_TRUE(conversations_.MarkRead(Direct(b, a), 1).ok());  // never backwards
  EXPECT_EQ(conversations_.List(b)->conversations(0).read_seq(), 4u);
  ASSERT_TRUE(conversations_.MarkRead(Direct(b, a), 0).ok());  // 0: all
  EXPECT_EQ(conversations_.List(b)->conversations(0).unread(), 0u);
  EXPECT_EQ(conversations_.List(a)->conversations(0).unread(), 0u);
  const auto stranger = NewUser("list_x");
  EXPECT_EQ(conversations_.MarkRead(Direct(a, stranger), 0).status().code(),
            absl::StatusCode::kNotFound);
}

// 40 messages of 60 KB are 2.4 MB: each page stops at kMaxPageBytes, and
// paging (sync with acks, history with before_seq) still yields them all, in
// order.
TEST_F(ConversationStoreTest, PagesOfLargeMessagesStopAtTheirByteBudget) {
  const auto a = NewUser("big_a"), b = NewUser("big_b");
  const std::string big(60 * 1024, 'x');
  for (int i = 0; i < 40; ++i) Send(a, b, big + std::to_string(i));

  std::vector<std::string> synced;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = conversations_.Sync(b, "phone", 100);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_GT(page->messages_size(), 0);
    EXPECT_LE(page->ByteSizeLong(), kMaxPageBytes + big.size() + 1024);
    for (const auto& m : page->messages()) synced.push_back(m.text());
    const auto& last = page->messages(page->messages_size() - 1);
    ASSERT_TRUE(conversations_.Ack(b, "phone", {AckOf(last.conv_id(), last.seq())}).ok());
    if (!page->more()) break;
    EXPECT_LT(page->messages_size(), 40);
  }
  ASSERT_EQ(synced.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(synced[i], big + std::to_string(i));

  std::vector<std::string> history;  // newest page first
  std::uint64_t before = 0;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = conversations_.History(Direct(b, a), before, 100);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_GT(page->messages_size(), 0);
    EXPECT_LE(page->ByteSizeLong(), kMaxPageBytes + big.size() + 1024);
    for (int i = page->messages_size(); i-- > 0;) history.push_back(page->messages(i).text());
    before = page->messages(0).seq();
    if (!page->more()) break;
  }
  ASSERT_EQ(history.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(history[i], big + std::to_string(39 - i));
}

TEST_F(ConversationStoreTest, HistoryPagesBackwardsAndShowsRecallTombstones) {
  const auto a = NewUser("hist_a"), b = NewUser("hist_b");
  std::vector<internal::AppendMessageResponse> sent;
  for (int i = 1; i <= 7; ++i) sent.push_back(Send(a, b, "h" + std::to_string(i)));
  auto latest = conversations_.History(Direct(b, a), 0, 3);
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->messages_size(), 3);
  EXPECT_EQ(latest->messages(0).seq(), 5u);
  EXPECT_EQ(latest->messages(2).seq(), 7u);
  EXPECT_TRUE(latest->more());
  auto older = conversations_.History(Direct(b, a), 5, 1000000);  // absurd limit is clamped
  ASSERT_EQ(older->messages_size(), 4);
  EXPECT_FALSE(older->more());

  ASSERT_TRUE(messages_.Recall(a, sent[6].msg_id(), 60000).ok());
  auto after = conversations_.History(Direct(a, b), 0, 1);
  ASSERT_EQ(after->messages_size(), 1);
  EXPECT_TRUE(after->messages(0).recalled());
  EXPECT_TRUE(after->messages(0).text().empty());
}

TEST_F(ConversationStoreTest, RecallOnlyBySenderWithinTheWindow) {
  const auto a = NewUser("rec_a"), b = NewUser("rec_b"), eve = NewUser("rec_eve");
  const auto m = Send(a, b, "oops");
  EXPECT_EQ(messages_.Recall(b, m.msg_id(), 60000).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(messages_.Recall(eve, m.msg_id(), 60000).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(messages_.Recall(a, m.msg_id(), -1).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto ok = messages_.Recall(a, m.msg_id(), 60000);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->member_ids_size(), 2);
  EXPECT_TRUE(messages_.Recall(a, m.msg_id(), 60000).ok());  // idempotent
}

TEST_F(ConversationStoreTest, ClientIdReusedForDifferentContentIsRefused) {
  const auto a = NewUser("cid_a"), b = NewUser("cid_b"), c = NewUser("cid_c");
  auto first = messages_.AppendDirect(a, b, "same", "hello");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(messages_.AppendDirect(a, b, "same", "different").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(messages_.AppendDirect(a, c, "same", "hello").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(messages_.AppendDirect(a, b, "same", "hello", std::nullopt, "image").status().code(),
            absl::StatusCode::kAlreadyExists);
  auto resend = messages_.AppendDirect(a, b, "same", "hello");
  ASSERT_TRUE(resend.ok());
  EXPECT_EQ(resend->msg_id(), first->msg_id());
}

}  // namespace
}  // namespace im::storage
