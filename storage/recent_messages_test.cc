#include "storage/recent_messages.h"

#include <gtest/gtest.h>

#include "storage/conversation_store.h"
#include "storage/message_store.h"
#include "storage/storage_test_env.h"

namespace im::storage {
namespace {

internal::StoredMessage Message(std::uint64_t conv, std::uint64_t seq, const std::string& text) {
  internal::StoredMessage m;
  m.set_msg_id(conv * 1000 + seq);
  m.set_conv_id(conv);
  m.set_seq(seq);
  m.set_text(text);
  m.set_kind("text");
  return m;
}

// Conversation ids no MySQL test reaches, unique per test.
constexpr std::uint64_t kConvBase = 7'000'000'000;

class RecentMessagesTest : public ::testing::Test {
 protected:
  RecentMessages recent_{GetStorageTestEnv().redis_pool.get(), {600, 256}};
};

TEST_F(RecentMessagesTest, ServesARangeOnlyWhenEverySeqOfItIsCached) {
  const std::uint64_t conv = kConvBase + 1;
  ASSERT_TRUE(recent_.Put({Message(conv, 1, "one"), Message(conv, 2, "two")}).ok());
  ASSERT_TRUE(recent_.Put({Message(conv, 4, "four")}).ok());

  auto both = recent_.Get(conv, 0, 2);
  ASSERT_TRUE(both.ok()) << both.status();
  ASSERT_TRUE(both->has_value());
  ASSERT_EQ((*both)->size(), 2u);
  EXPECT_EQ((**both)[0].text(), "one");
  EXPECT_EQ((**both)[1].seq(), 2u);

  auto with_hole = recent_.Get(conv, 0, 4);  // seq 3 is not cached
  ASSERT_TRUE(with_hole.ok());
  EXPECT_FALSE(with_hole->has_value());
  auto other = recent_.Get(kConvBase + 99, 0, 1);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  auto empty = recent_.Get(conv, 2, 2);
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(empty->has_value());
  EXPECT_TRUE((*empty)->empty());
}

TEST_F(RecentMessagesTest, KeysAreScopedToTheRedisServersRunId) {
  // A restarted Redis (which may have lost its last writes) starts a new cache.
  auto conn = GetStorageTestEnv().redis_pool->Acquire();
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ((*conn)->server_run_id().size(), 40u) << (*conn)->server_run_id();
}

TEST_F(RecentMessagesTest, ARecallHidesContentEvenWhenItIsPutBackLater) {
  const std::uint64_t conv = kConvBase + 2;
  ASSERT_TRUE(recent_.Put({Message(conv, 1, "keep"), Message(conv, 2, "secret")}).ok());
  ASSERT_TRUE(recent_.MarkRecalled(conv, 2).ok());
  // A reader that read the row just before the recall puts it back.
  ASSERT_TRUE(recent_.Put({Message(conv, 2, "secret")}).ok());

  auto got = recent_.Get(conv, 0, 2);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_FALSE((**got)[0].recalled());
  EXPECT_EQ((**got)[0].text(), "keep");
  EXPECT_TRUE((**got)[1].recalled());
  EXPECT_EQ((**got)[1].text(), "");
  EXPECT_EQ((**got)[1].msg_id(), conv * 1000 + 2);
}

TEST_F(RecentMessagesTest, KeepsAboutMaxMessagesPerConversation) {
  RecentMessages small(GetStorageTestEnv().redis_pool.get(), {600, 2});
  const std::uint64_t conv = kConvBase + 3;
  ASSERT_TRUE(
      small.Put({Message(conv, 1, "a"), Message(conv, 2, "b"), Message(conv, 3, "c")}).ok());
  auto all = small.Get(conv, 0, 3);
  ASSERT_TRUE(all.ok());
  EXPECT_FALSE(all->has_value());  // seq 1 was dropped when 3 came
  auto last_two = small.Get(conv, 1, 3);
  ASSERT_TRUE(last_two.ok());
  ASSERT_TRUE(last_two->has_value());
  EXPECT_EQ((**last_two)[1].text(), "c");
}

class SyncConversationTest : public ::testing::Test {
 protected:
  MessageStore messages_{GetStorageTestEnv().mysql_pool.get()};
  RecentMessages recent_{GetStorageTestEnv().redis_pool.get(), {600, 256}};
  ConversationStore conversations_{GetStorageTestEnv().mysql_pool.get(), &recent_};
};

TEST_F(SyncConversationTest, PagesOneConversationAfterTheDeviceCursorAndCachesWhatItRead) {
  const auto a = NewTestUser("sc_a"), b = NewTestUser("sc_b"), c = NewTestUser("sc_c");
  std::uint64_t conv = 0;
  for (int i = 1; i <= 3; ++i) {
    auto sent = messages_.AppendDirect(a, b, "", "ab" + std::to_string(i));
    ASSERT_TRUE(sent.ok()) << sent.status();
    conv = sent->conv_id();
  }
  ASSERT_TRUE(messages_.AppendDirect(c, b, "", "cb").ok());  // another conversation

  auto first = conversations_.SyncConversation(b, "phone", conv, 2);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->messages_size(), 2);
  EXPECT_TRUE(first->more());
  EXPECT_EQ(first->messages(0).text(), "ab1");
  // What MySQL returned is now cached, as MySQL returned it.
  auto cached = recent_.Get(conv, 0, 2);
  ASSERT_TRUE(cached.ok() && cached->has_value());
  EXPECT_EQ((**cached)[1].SerializeAsString(), first->messages(1).SerializeAsString());

  internal::ConversationSeq ack;
  ack.set_conv_id(conv);
  ack.set_seq(2);
  ASSERT_TRUE(conversations_.Ack(b, "phone", {ack}).ok());
  auto second = conversations_.SyncConversation(b, "phone", conv, 2);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->messages_size(), 1);  // only ab3: never the other conversation
  EXPECT_EQ(second->messages(0).text(), "ab3");
  EXPECT_FALSE(second->more());

  // Another device reads the same pages from the cache.
  auto laptop = conversations_.SyncConversation(b, "laptop", conv, 10);
  ASSERT_TRUE(laptop.ok());
  ASSERT_EQ(laptop->messages_size(), 3);
  EXPECT_EQ(laptop->messages(2).SerializeAsString(), second->messages(0).SerializeAsString());

  EXPECT_EQ(conversations_.SyncConversation(c, "phone", conv, 10).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SyncConversationTest, AMessageRecalledAfterItWasCachedIsSyncedAsATombstone) {
  const auto a = NewTestUser("scr_a"), b = NewTestUser("scr_b");
  auto sent = messages_.AppendDirect(a, b, "", "oops");
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(conversations_.SyncConversation(b, "phone", sent->conv_id(), 10).ok());  // cached

  auto mark = [&](std::uint64_t conv, std::uint64_t seq) {
    return recent_.MarkRecalled(conv, seq);
  };
  ASSERT_TRUE(messages_.Recall(a, sent->msg_id(), 60000, mark).ok());
  auto page = conversations_.SyncConversation(b, "laptop", sent->conv_id(), 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->messages_size(), 1);
  EXPECT_TRUE(page->messages(0).recalled());
  EXPECT_EQ(page->messages(0).text(), "");
}

}  // namespace
}  // namespace im::storage
